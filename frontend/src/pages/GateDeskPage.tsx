import { PrinterOutlined, QrcodeOutlined, ReloadOutlined, ScanOutlined, StopOutlined, SwapOutlined, WarningFilled } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Badge, Button, Card, DatePicker, Input, Modal, Space, Table, Tabs, Tag, Tooltip, Typography, type TableColumnsType } from 'antd';
import type { Dayjs } from 'dayjs';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { useApi } from '../api/ApiContext';
import { fetchGates, moreKeys } from '../api/endpoints';
import { fetchAppointments, fetchGateAppointments, fetchPassPdf, fetchPassQr, fetchSlots, gateKeys, reissuePass, revokePass } from '../api/gates';
import type { Appointment, Gate, Role, Slot } from '../api/models';
import type { ApiError } from '../api/problem';
import { useAuth } from '../auth/AuthContext';
import { ProblemAlert } from '../components/ProblemAlert';
import { GateReports } from '../gate/GateReports';
import { GateSelect } from '../gate/GateSelect';
import { LanesCard } from '../gate/LanesCard';
import { PublishSlotsCard } from '../gate/PublishSlots';
import { RescheduleModal } from '../gate/RescheduleModal';
import { SlotCalendar } from '../gate/SlotCalendar';
import { dayjs } from '../time/dayjs';
import { useTimeZone } from '../time/TimeZoneContext';
import { openBlobInNewTab } from '../waybills/downloadBlob';

export { GateSelect };

export const GATE_STORAGE_KEY = 'yidan.gate';
/** The roles that publish a terminal's slots and lanes (the API also checks the organisation runs the terminal). */
const PUBLISHER_ROLES: readonly Role[] = ['gate_operator', 'port_operator'];

/** The gate a desk works at: the URL's, else the one used last, else the first of the operator's appointments. */
export function useDeskGate(): { gate: string | undefined; setGate: (gate: string) => void; gates: Gate[] } {
  const api = useApi();
  const [params, setParams] = useSearchParams();
  const { timeZone } = useTimeZone();
  const gates = useQuery({ queryKey: moreKeys.gates, queryFn: ({ signal }) => fetchGates(api, undefined, signal), staleTime: 3_600_000 });
  const today = dayjs().tz(timeZone).format('YYYY-MM-DD');
  const mine = useQuery({
    queryKey: gateKeys.mine(today),
    queryFn: ({ signal }) => fetchAppointments(api, { day: today, tz: timeZone }, signal),
    staleTime: 60_000,
  });
  let stored: string | null = null;
  try {
    stored = window.localStorage.getItem(GATE_STORAGE_KEY);
  } catch {
    stored = null;
  }
  const list = Array.isArray(gates.data) ? gates.data : [];
  const fromAppointments = Array.isArray(mine.data) ? mine.data[0]?.gate_code : undefined;
  const gate = params.get('gate') ?? stored ?? fromAppointments ?? list[0]?.code;
  const setGate = (next: string) => {
    try {
      window.localStorage.setItem(GATE_STORAGE_KEY, next);
    } catch {
      // not remembered
    }
    setParams(
      (previous) => {
        const copy = new URLSearchParams(previous);
        copy.set('gate', next);
        return copy;
      },
      { replace: true },
    );
  };
  return { gate, setGate, gates: list };
}

function QrModal({ appointment, onClose }: { appointment: Appointment | null; onClose: () => void }) {
  const { t } = useTranslation();
  const api = useApi();
  const passId = appointment?.gate_pass?.id;
  const qr = useQuery({
    queryKey: ['gates', 'pass', passId, 'qr'],
    queryFn: async () => URL.createObjectURL(await fetchPassQr(api, passId!)),
    enabled: Boolean(passId),
    staleTime: Infinity,
  });
  return (
    <Modal open={appointment !== null} onCancel={onClose} footer={null} title={t('gate.passOf', { reference: appointment?.reference ?? '' })}>
      {qr.data ? <img src={qr.data} alt={t('gate.qrAlt', { plate: appointment?.truck_plate ?? '' })} className="pass-qr" /> : null}
      {appointment?.gate_pass ? (
        <Typography.Paragraph copyable={{ text: appointment.gate_pass.driver_message }} type="secondary" style={{ marginTop: 12 }}>
          {t('gate.driverMessage')}
        </Typography.Paragraph>
      ) : null}
    </Modal>
  );
}

/** The gate desk: slots and their capacity for a day, the day's appointments, and their passes. */
export function GateDeskPage() {
  const { t, i18n } = useTranslation();
  const api = useApi();
  const queryClient = useQueryClient();
  const { message, modal } = App.useApp();
  const { timeZone } = useTimeZone();
  const { gate, setGate, gates } = useDeskGate();
  const [day, setDay] = useState<Dayjs>(() => dayjs().tz(timeZone));
  const [qrFor, setQrFor] = useState<Appointment | null>(null);
  const [rescheduling, setRescheduling] = useState<Appointment | null>(null);
  const { user } = useAuth();
  const publisher = user !== null && PUBLISHER_ROLES.includes(user.role);
  const dayText = day.format('YYYY-MM-DD');

  const slots = useQuery<Slot[], ApiError>({
    queryKey: gateKeys.slots(gate ?? '', dayText),
    queryFn: ({ signal }) => fetchSlots(api, gate!, dayText, timeZone, signal),
    enabled: Boolean(gate),
  });
  const appointments = useQuery<Appointment[], ApiError>({
    queryKey: gateKeys.appointments(gate ?? '', dayText),
    queryFn: ({ signal }) => fetchGateAppointments(api, gate!, dayText, timeZone, signal),
    enabled: Boolean(gate),
    refetchInterval: 30_000,
  });
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ['gates'] });

  const revoke = useMutation<unknown, ApiError, { passId: string; reason: string }>({
    mutationFn: ({ passId, reason }) => revokePass(api, passId, reason),
    onSuccess: () => {
      void message.success(t('gate.revoked'));
      refresh();
    },
    onError: (error) => void message.error(error.detail || error.title),
  });
  const reissue = useMutation<unknown, ApiError, { appointmentId: string; reason: string }>({
    mutationFn: ({ appointmentId, reason }) => reissuePass(api, appointmentId, reason),
    onSuccess: () => {
      void message.success(t('gate.reissued'));
      refresh();
    },
    onError: (error) => void message.error(error.detail || error.title),
  });

  // Asks for the reason the audit trail records, then runs the action.
  const withReason = (title: string, run: (reason: string) => void) => {
    let reason = '';
    modal.confirm({
      title,
      content: (
        <Input.TextArea
          aria-label={t('gate.reason')}
          placeholder={t('gate.reasonPlaceholder')}
          autoFocus
          onChange={(event) => {
            reason = event.target.value;
          }}
        />
      ),
      okText: t('common.confirm'),
      cancelText: t('common.cancel'),
      onOk: () => {
        if (reason.trim().length < 3) {
          void message.warning(t('gate.reasonTooShort'));
          return Promise.reject(new Error('reason'));
        }
        run(reason.trim());
        return undefined;
      },
    });
  };

  useEffect(() => {
    setDay((current) => current.tz(timeZone));
  }, [timeZone]);

  const rows = useMemo(
    () => (Array.isArray(appointments.data) ? [...appointments.data].sort((a, b) => a.slot.starts_at.localeCompare(b.slot.starts_at)) : []),
    [appointments.data],
  );

  const columns: TableColumnsType<Appointment> = [
    {
      title: t('gate.slot'),
      key: 'slot',
      render: (_: unknown, a) => `${dayjs(a.slot.starts_at).tz(timeZone).format('HH:mm')}–${dayjs(a.slot.ends_at).tz(timeZone).format('HH:mm')}`,
    },
    { title: t('gate.reference'), dataIndex: 'reference', key: 'reference', render: (value: string) => <span className="mono">{value}</span> },
    { title: t('gate.kind'), dataIndex: 'kind', key: 'kind', render: (kind: string) => t(`gate.kinds.${kind}`, { defaultValue: kind }) },
    {
      title: t('gate.plate'),
      dataIndex: 'truck_plate',
      key: 'plate',
      render: (plate: string, a) => (
        <Space size={4}>
          <span className="plate">{plate}</span>
          {a.dangerous_goods ? (
            <Tag color="red" icon={<WarningFilled />}>
              {t('waybills.dg')}
            </Tag>
          ) : null}
        </Space>
      ),
    },
    { title: t('gate.container'), dataIndex: 'container_number', key: 'container', render: (value: string) => <span className="mono">{value}</span> },
    {
      title: t('gate.waybill'),
      key: 'waybill',
      render: (_: unknown, a) => (
        <Link to={`/waybills/${encodeURIComponent(a.waybill_number)}`} className="mono">
          {a.waybill_number}
        </Link>
      ),
    },
    { title: t('gate.driver'), key: 'driver', render: (_: unknown, a) => `${a.driver.name} · ${a.driver.phone}` },
    {
      title: t('gate.status'),
      key: 'status',
      render: (_: unknown, a) => (
        <Space orientation="vertical" size={0}>
          <Badge
            status={a.status === 'cancelled' ? 'default' : a.status === 'completed' ? 'success' : a.status === 'arrived' ? 'processing' : 'warning'}
            text={t(`gate.statuses.${a.status}`, { defaultValue: a.status })}
          />
          {a.gate_pass ? (
            <Typography.Text type={a.gate_pass.status === 'active' ? 'success' : 'secondary'} className="pass-status">
              {t('gate.pass')}: {t(`gate.passStatuses.${a.gate_pass.status}`, { defaultValue: a.gate_pass.status })}
            </Typography.Text>
          ) : null}
        </Space>
      ),
    },
    {
      title: t('gate.actions'),
      key: 'actions',
      render: (_: unknown, a) => {
        const pass = a.gate_pass;
        const active = pass?.status === 'active';
        return (
          <Space size={4} wrap>
            <Tooltip title={t('gate.showQr')}>
              <Button size="small" icon={<QrcodeOutlined />} disabled={!pass} onClick={() => setQrFor(a)} aria-label={`${t('gate.showQr')} ${a.reference}`} />
            </Tooltip>
            <Tooltip title={t('gate.print')}>
              <Button
                size="small"
                icon={<PrinterOutlined />}
                disabled={!pass}
                aria-label={`${t('gate.print')} ${a.reference}`}
                onClick={() =>
                  pass &&
                  void openBlobInNewTab(() => fetchPassPdf(api, pass.id), `${a.reference}.pdf`).catch((error: unknown) =>
                    void message.error(error instanceof Error ? error.message : String(error)),
                  )
                }
              />
            </Tooltip>
            {active ? (
              <Button
                size="small"
                danger
                icon={<StopOutlined />}
                onClick={() => withReason(t('gate.revokeTitle', { reference: a.reference }), (reason) => revoke.mutate({ passId: pass.id, reason }))}
              >
                {t('gate.revoke')}
              </Button>
            ) : a.status === 'confirmed' ? (
              <Button
                size="small"
                icon={<ReloadOutlined />}
                onClick={() => withReason(t('gate.reissueTitle', { reference: a.reference }), (reason) => reissue.mutate({ appointmentId: a.id, reason }))}
              >
                {t('gate.reissue')}
              </Button>
            ) : null}
            {a.status === 'confirmed' ? (
              <Button size="small" icon={<SwapOutlined />} onClick={() => setRescheduling(a)} aria-label={t('reschedule.actionOf', { reference: a.reference })}>
                {t('reschedule.action')}
              </Button>
            ) : null}
          </Space>
        );
      },
    },
  ];

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <div className="page-title-row">
        <Typography.Title level={3} style={{ margin: 0 }}>
          {t('gate.title')}
        </Typography.Title>
        <Space wrap>
          <GateSelect gate={gate} gates={gates} onChange={setGate} />
          <DatePicker value={day} onChange={(value) => value && setDay(value)} allowClear={false} aria-label={t('gate.day')} />
          <Link to={`/gate/lane${gate ? `?gate=${encodeURIComponent(gate)}` : ''}`}>
            <Button type="primary" icon={<ScanOutlined />}>
              {t('gate.openLane')}
            </Button>
          </Link>
        </Space>
      </div>
      <Tabs
        items={[
          {
            key: 'appointments',
            label: t('gate.tabAppointments'),
            children: (
              <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
                  <Card title={t('gate.slots')} size="small" extra={<Typography.Text type="secondary">{timeZone}</Typography.Text>}>
                    {slots.error ? <ProblemAlert error={slots.error} onRetry={() => void slots.refetch()} /> : null}
                    <SlotCalendar slots={Array.isArray(slots.data) ? slots.data : []} timeZone={timeZone} />
                  </Card>
                  <Card title={t('gate.appointments', { count: rows.length })}>
                    {appointments.error ? <ProblemAlert error={appointments.error} onRetry={() => void appointments.refetch()} /> : null}
                    <Table<Appointment>
                      rowKey="id"
                      size="small"
                      columns={columns}
                      dataSource={rows}
                      loading={appointments.isPending && Boolean(gate)}
                      pagination={false}
                      scroll={{ x: 'max-content' }}
                      rowClassName={(a) => `appointment-row appointment-row--${a.status}`}
                      locale={{ emptyText: t('gate.noAppointments') }}
                      key={i18n.language}
                    />
                  </Card>
              </Space>
            ),
          },
          ...(publisher
            ? [
                {
                  key: 'setup',
                  label: t('gateSetup.tab'),
                  children: (
                    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
                      <PublishSlotsCard gate={gate} gates={gates} onGateChange={setGate} timeZone={timeZone} onPublished={setDay} />
                      <Card
                        title={t('gateSetup.calendarTitle', { day: dayText })}
                        size="small"
                        className="setup-calendar"
                        extra={
                          <Space size={8}>
                            <Typography.Text type="secondary">{timeZone}</Typography.Text>
                            <DatePicker value={day} onChange={(value) => value && setDay(value)} allowClear={false} aria-label={t('gate.day')} size="small" />
                          </Space>
                        }
                      >
                        <Typography.Paragraph type="secondary" style={{ marginTop: 0 }}>
                          {t('gateSetup.calendarHelp')}
                        </Typography.Paragraph>
                        {slots.error ? <ProblemAlert error={slots.error} onRetry={() => void slots.refetch()} /> : null}
                        <SlotCalendar slots={Array.isArray(slots.data) ? slots.data : []} timeZone={timeZone} editable />
                      </Card>
                      {gate ? <LanesCard key={gate} gate={gate} /> : null}
                    </Space>
                  ),
                },
              ]
            : []),
          {
            key: 'reports',
            label: t('gate.tabReports'),
            children: gate ? <GateReports gate={gate} day={day} timeZone={timeZone} /> : null,
          },
        ]}
      />
      <QrModal appointment={qrFor} onClose={() => setQrFor(null)} />
      <RescheduleModal appointment={rescheduling} onClose={() => setRescheduling(null)} />
    </Space>
  );
}
