import { DownloadOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { App, Button, Card, Col, Row, Space, Statistic, Table, Typography } from 'antd';
import type { Dayjs } from 'dayjs';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/ApiContext';
import { fetchArrivals, fetchDenials, fetchDwell, fetchReportCsv, type ReportPeriod } from '../api/gates';
import { ProblemAlert } from '../components/ProblemAlert';
import { BarChart } from '../finance/BarChart';
import { dayjs } from '../time/dayjs';

function saveBlob(blob: Blob, filename: string) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

/** A gate's day in numbers: arrivals against slots, dwell time, denials by reason; each as CSV too. */
export function GateReports({ gate, day, timeZone }: { gate: string; day: Dayjs; timeZone: string }) {
  const { t, i18n } = useTranslation();
  const api = useApi();
  const { message } = App.useApp();
  const zh = i18n.language.startsWith('zh');
  const start = dayjs.tz(day.format('YYYY-MM-DD'), timeZone);
  const period: ReportPeriod = { day: day.format('YYYY-MM-DD'), tz: timeZone, from: start.toISOString(), to: start.add(1, 'day').toISOString() };
  const arrivals = useQuery({ queryKey: ['gates', gate, 'reports', 'arrivals', period], queryFn: ({ signal }) => fetchArrivals(api, gate, period, signal) });
  const dwell = useQuery({ queryKey: ['gates', gate, 'reports', 'dwell', period], queryFn: ({ signal }) => fetchDwell(api, gate, period, signal) });
  const denials = useQuery({ queryKey: ['gates', gate, 'reports', 'denials', period], queryFn: ({ signal }) => fetchDenials(api, gate, period, signal) });

  const csv = (report: 'arrivals' | 'dwell' | 'denials') => (
    <Button
      size="small"
      icon={<DownloadOutlined />}
      onClick={() =>
        void fetchReportCsv(api, gate, report, period)
          .then((blob) => saveBlob(blob, `${gate}-${report}-${period.day}.csv`))
          .catch((error: unknown) => void message.error(error instanceof Error ? error.message : String(error)))
      }
    >
      CSV
    </Button>
  );
  const minutes = (value: number | null | undefined) => (value === null || value === undefined ? '—' : `${Math.round(value)} ${t('gateReports.min')}`);
  const slots = Array.isArray(arrivals.data?.slots) ? arrivals.data.slots.filter((slot) => slot.booked > 0 || slot.arrived > 0) : [];

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      {arrivals.error ? <ProblemAlert error={arrivals.error} /> : null}
      <Card size="small" title={t('gateReports.arrivals')} extra={csv('arrivals')}>
        <Row gutter={[16, 16]}>
          {(['capacity', 'booked', 'arrived', 'no_show'] as const).map((key) => (
            <Col key={key} xs={12} md={6}>
              <Statistic title={t(`gateReports.${key}`)} value={arrivals.data?.[key] ?? 0} loading={arrivals.isPending} />
            </Col>
          ))}
        </Row>
        <BarChart
          title={t('gateReports.arrivals')}
          colour="#1464c8"
          bars={slots.map((slot) => ({
            label: dayjs(slot.starts_at).tz(timeZone).format('HH:mm'),
            value: slot.arrived,
            text: `${slot.arrived}/${slot.booked}`,
          }))}
        />
      </Card>
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={12}>
          <Card size="small" title={t('gateReports.dwell')} extra={csv('dwell')}>
            {dwell.error ? <ProblemAlert error={dwell.error} /> : null}
            <Row gutter={[16, 16]}>
              <Col span={8}>
                <Statistic title={t('gateReports.completed')} value={dwell.data?.completed ?? 0} loading={dwell.isPending} />
              </Col>
              <Col span={8}>
                <Statistic title={t('gateReports.inside')} value={dwell.data?.inside ?? 0} loading={dwell.isPending} />
              </Col>
              <Col span={8}>
                <Statistic title={t('gateReports.average')} value={minutes(dwell.data?.average_minutes)} loading={dwell.isPending} />
              </Col>
              <Col span={8}>
                <Statistic title="P50" value={minutes(dwell.data?.p50_minutes)} loading={dwell.isPending} />
              </Col>
              <Col span={8}>
                <Statistic title="P90" value={minutes(dwell.data?.p90_minutes)} loading={dwell.isPending} />
              </Col>
              <Col span={8}>
                <Statistic title={t('gateReports.max')} value={minutes(dwell.data?.max_minutes)} loading={dwell.isPending} />
              </Col>
            </Row>
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card size="small" title={t('gateReports.denials')} extra={csv('denials')}>
            {denials.error ? <ProblemAlert error={denials.error} /> : null}
            <Space size="large" wrap style={{ marginBottom: 8 }}>
              <Statistic title={t('gateReports.scans')} value={denials.data?.scans ?? 0} loading={denials.isPending} />
              <Statistic title={t('lane.results.admit')} value={denials.data?.admitted ?? 0} loading={denials.isPending} />
              <Statistic title={t('lane.results.deny')} value={denials.data?.denied ?? 0} loading={denials.isPending} />
              <Statistic title={t('lane.results.manual_inspection')} value={denials.data?.manual_inspection ?? 0} loading={denials.isPending} />
            </Space>
            <Table
              size="small"
              rowKey="code"
              pagination={false}
              dataSource={Array.isArray(denials.data?.by_reason) ? denials.data.by_reason : []}
              locale={{ emptyText: t('gateReports.noDenials') }}
              columns={[
                { title: t('gateReports.reason'), key: 'reason', render: (_: unknown, r) => (zh ? r.zh : r.en) },
                { title: t('gateReports.count'), dataIndex: 'count', key: 'count', align: 'right', width: 80 },
              ]}
            />
          </Card>
        </Col>
      </Row>
      <Typography.Text type="secondary">{t('gateReports.period', { day: period.day, zone: timeZone })}</Typography.Text>
    </Space>
  );
}
