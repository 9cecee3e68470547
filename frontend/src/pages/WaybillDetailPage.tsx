import { ArrowLeftOutlined, FilePdfOutlined, WarningFilled } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Card, Col, Descriptions, Empty, Row, Skeleton, Space, Table, Tag, Typography, type TableColumnsType } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { useApi } from '../api/ApiContext';
import { changeWaybillStatus, fetchWaybill, fetchWaybillPdf, queryKeys } from '../api/endpoints';
import { isApiError, type ApiError } from '../api/problem';
import type { CargoLine, Equipment, Party, WaybillDetail } from '../api/models';
import { ProblemAlert } from '../components/ProblemAlert';
import { DateTime } from '../time/DateTime';
import { openBlobInNewTab } from '../waybills/downloadBlob';
import { EtaLine } from '../waybills/EtaConfidence';
import { EventTimeline } from '../waybills/EventTimeline';
import { LegSteps } from '../waybills/LegSteps';
import { StatusTag } from '../waybills/StatusTag';
import { NotFoundPage } from './NotFoundPage';
import { WaybillMapCard } from '../map/WaybillMapCard';
import { useAuth } from '../auth/AuthContext';
import { WaybillCharges } from '../settlement/WaybillCharges';

const PARTY_ORDER: Record<string, number> = { shipper: 0, consignee: 1, notify: 2 };

export const isDangerous = (line: CargoLine): boolean => Boolean(line.un_number || line.dg_class);

function PartyCards({ parties }: { parties: Party[] }) {
  const { t } = useTranslation();
  const ordered = [...parties].sort((a, b) => (PARTY_ORDER[a.role] ?? 9) - (PARTY_ORDER[b.role] ?? 9));
  return (
    <Row gutter={[16, 16]}>
      {ordered.map((party, index) => (
        <Col key={`${party.role}-${index}`} xs={24} md={8}>
          <Card size="small" title={t(`partyRoles.${party.role}`, { defaultValue: party.role })} className="party-card">
            <Space orientation="vertical" size={2}>
              <Typography.Text strong>{party.name}</Typography.Text>
              {party.address ? <Typography.Text>{party.address}</Typography.Text> : null}
              {party.contact ? <Typography.Text type="secondary">{party.contact}</Typography.Text> : null}
            </Space>
          </Card>
        </Col>
      ))}
    </Row>
  );
}

function CargoTable({ lines }: { lines: CargoLine[] }) {
  const { t } = useTranslation();
  const empty = t('common.empty');
  const columns: TableColumnsType<CargoLine> = [
    { title: t('cargo.seq'), dataIndex: 'seq', key: 'seq', width: 56 },
    {
      title: t('cargo.description'),
      dataIndex: 'description',
      key: 'description',
      render: (value: string, line) => (
        <Space orientation="vertical" size={0}>
          <span>{value}</span>
          {line.marks ? <Typography.Text type="secondary">{`${t('cargo.marks')}: ${line.marks}`}</Typography.Text> : null}
        </Space>
      ),
    },
    { title: t('cargo.hsCode'), dataIndex: 'hs_code', key: 'hs', render: (value: string | null) => value ?? empty },
    {
      title: t('cargo.packages'),
      key: 'packages',
      align: 'right',
      render: (_: unknown, line) => (line.packages != null ? `${line.packages} ${line.package_type ?? ''}`.trim() : empty),
    },
    {
      title: t('cargo.grossWeight'),
      dataIndex: 'gross_weight_kg',
      key: 'weight',
      align: 'right',
      render: (value: number | null) => (value != null ? value.toLocaleString() : empty),
    },
    {
      title: t('cargo.volume'),
      dataIndex: 'volume_m3',
      key: 'volume',
      align: 'right',
      render: (value: number | null) => (value != null ? value.toLocaleString() : empty),
    },
    {
      title: t('cargo.dg'),
      key: 'dg',
      render: (_: unknown, line) =>
        isDangerous(line) ? (
          <Tag color="red" icon={<WarningFilled />} className="dg-tag">
            {[
              line.un_number ? `UN${line.un_number.replace(/^UN/i, '')}` : null,
              line.dg_class ? `${t('cargo.dgClass')} ${line.dg_class}` : null,
              line.packing_group ? `PG ${line.packing_group}` : null,
            ]
              .filter(Boolean)
              .join(' · ')}
          </Tag>
        ) : (
          empty
        ),
    },
  ];
  return (
    <Table<CargoLine>
      rowKey="seq"
      size="small"
      columns={columns}
      dataSource={lines}
      pagination={false}
      scroll={{ x: 'max-content' }}
      rowClassName={(line) => (isDangerous(line) ? 'cargo-row--dg' : '')}
      locale={{ emptyText: t('detail.noCargo') }}
    />
  );
}

function EquipmentTable({ equipment }: { equipment: Equipment[] }) {
  const { t } = useTranslation();
  const columns: TableColumnsType<Equipment> = [
    {
      title: t('equipmentCols.containerNumber'),
      dataIndex: 'container_number',
      key: 'container',
      render: (value: string) => <span className="mono">{value}</span>,
    },
    { title: t('equipmentCols.sizeType'), dataIndex: 'size_type', key: 'size', render: (value: string | null) => value ?? t('common.empty') },
    {
      title: t('equipmentCols.seals'),
      dataIndex: 'seals',
      key: 'seals',
      render: (seals: string[]) => (seals.length > 0 ? seals.map((seal) => <Tag key={seal}>{seal}</Tag>) : t('common.empty')),
    },
  ];
  return (
    <Table<Equipment>
      rowKey="container_number"
      size="small"
      columns={columns}
      dataSource={equipment}
      pagination={false}
      locale={{ emptyText: t('detail.noEquipment') }}
    />
  );
}

function DownloadPdfButton({ number }: { number: string }) {
  const { t } = useTranslation();
  const api = useApi();
  const { message } = App.useApp();
  const [busy, setBusy] = useState(false);
  const onClick = async () => {
    setBusy(true);
    try {
      await openBlobInNewTab(() => fetchWaybillPdf(api, number), `${number}.pdf`);
    } catch (error) {
      const detail = isApiError(error) ? error.detail || error.title : '';
      void message.error(detail ? `${t('detail.pdfFailed')}: ${detail}` : t('detail.pdfFailed'));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Button type="primary" icon={<FilePdfOutlined />} loading={busy} onClick={() => void onClick()}>
      {t('detail.downloadPdf')}
    </Button>
  );
}

function BookButton({ waybill }: { waybill: WaybillDetail }) {
  const { t } = useTranslation();
  const api = useApi();
  const queryClient = useQueryClient();
  const { message } = App.useApp();
  const book = useMutation<WaybillDetail, ApiError>({
    mutationFn: () => changeWaybillStatus(api, waybill.number, 'booked'),
    onSuccess: (updated) => {
      queryClient.setQueryData(queryKeys.waybill(waybill.number), updated);
      void queryClient.invalidateQueries({ queryKey: ['waybills', 'list'] });
      void message.success(t('detail.bookedNow'));
    },
    onError: (error) => void message.error(error.detail || error.title),
  });
  if (!waybill.allowed_transitions.includes('booked')) return null;
  return (
    <Button onClick={() => book.mutate()} loading={book.isPending}>
      {t('detail.book')}
    </Button>
  );
}

function WaybillView({ waybill }: { waybill: WaybillDetail }) {
  const { t } = useTranslation();
  const { user } = useAuth();
  const dangerous = waybill.cargo_lines.some(isDangerous);
  const shipperOrg = waybill.parties.find((party) => party.role === 'shipper')?.organisation_id;
  const owner =
    user !== null && (user.role === 'shipper' || user.role === 'admin') && (!shipperOrg || shipperOrg === user.organisation.id);
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Card>
        <div className="detail-header">
          <div>
            <Space size="middle" align="center" wrap>
              <Typography.Title level={3} style={{ margin: 0 }} className="mono">
                {waybill.number}
              </Typography.Title>
              <StatusTag status={waybill.status} />
            </Space>
            <Descriptions
              size="small"
              column={{ xs: 1, sm: 2 }}
              style={{ marginTop: 12 }}
              items={[
                { key: 'created', label: t('detail.created'), children: <DateTime value={waybill.created_at} /> },
                { key: 'updated', label: t('detail.updated'), children: <DateTime value={waybill.updated_at} /> },
                ...(waybill.eta
                  ? [
                      {
                        key: 'eta',
                        label: t('eta.label'),
                        children: <EtaLine arrival={waybill.eta.arrival} confidence={waybill.eta.confidence} />,
                      },
                    ]
                  : []),
              ]}
            />
          </div>
          <Space wrap>
            <BookButton waybill={waybill} />
            <DownloadPdfButton number={waybill.number} />
          </Space>
        </div>
        {dangerous ? <Alert type="warning" showIcon icon={<WarningFilled />} title={t('detail.dgWarning')} style={{ marginTop: 12 }} /> : null}
      </Card>

      <Card title={t('detail.parties')}>
        {waybill.parties.length > 0 ? <PartyCards parties={waybill.parties} /> : <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} />}
      </Card>

      <Card title={t('detail.route')}>
        {waybill.legs.length > 0 ? <LegSteps legs={waybill.legs} /> : <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('detail.noLegs')} />}
      </Card>

      {waybill.legs.length > 0 ? <WaybillMapCard number={waybill.number} legs={waybill.legs} /> : null}

      <WaybillCharges number={waybill.number} status={waybill.status} canQuote={owner} />

      <Row gutter={[16, 16]}>
        <Col xs={24} xl={15}>
          <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
            <Card title={t('detail.cargo')}>
              <CargoTable lines={waybill.cargo_lines} />
            </Card>
            <Card title={t('detail.equipment')}>
              <EquipmentTable equipment={waybill.equipment} />
            </Card>
          </Space>
        </Col>
        <Col xs={24} xl={9}>
          <Card title={t('detail.events')}>
            {waybill.events.length > 0 ? (
              <EventTimeline
                events={waybill.events.map((event) => ({
                  key: event.id,
                  event_code: event.event_code,
                  classifier: event.classifier,
                  event_time: event.event_time,
                  location: event.location,
                  event_type: event.event_type,
                  leg_seq: event.leg_seq,
                  description: event.description,
                  recorded_at: event.recorded_at,
                }))}
              />
            ) : (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('detail.noEvents')} />
            )}
          </Card>
        </Col>
      </Row>
    </Space>
  );
}

/** One waybill: header, parties, route, cargo, containers and events. */
export function WaybillDetailPage() {
  const { t } = useTranslation();
  const api = useApi();
  const { number = '' } = useParams();
  const query = useQuery<WaybillDetail, ApiError>({
    queryKey: queryKeys.waybill(number),
    queryFn: ({ signal }) => fetchWaybill(api, number, signal),
    enabled: number !== '',
  });

  if (query.error?.status === 404) return <NotFoundPage />;

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Link to="/waybills">
        <ArrowLeftOutlined /> {t('detail.backToList')}
      </Link>
      {query.error ? <ProblemAlert error={query.error} onRetry={() => void query.refetch()} /> : null}
      {query.isPending ? (
        <Card>
          <Skeleton active paragraph={{ rows: 8 }} />
        </Card>
      ) : null}
      {query.data ? <WaybillView waybill={query.data} /> : null}
    </Space>
  );
}
