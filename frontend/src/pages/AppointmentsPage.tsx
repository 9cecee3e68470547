import { StopOutlined, SwapOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Card, Col, DatePicker, Form, Input, InputNumber, Modal, Radio, Row, Select, Space, Table, Tag, Typography, type TableColumnsType } from 'antd';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useApi } from '../api/ApiContext';
import { bookAppointment, cancelAppointment, fetchAppointments, fetchSlots, gateKeys } from '../api/gates';
import type { Appointment, Slot } from '../api/models';
import type { ApiError } from '../api/problem';
import { containerNumberMessage } from '../booking/ContainerInput';
import { placeFieldErrors } from '../booking/fieldErrors';
import { CN_PLATE } from '../booking/form';
import { ProblemAlert } from '../components/ProblemAlert';
import { PassView } from '../gate/PassView';
import { RescheduleModal } from '../gate/RescheduleModal';
import { dayjs } from '../time/dayjs';
import { useTimeZone } from '../time/TimeZoneContext';
import { GateSelect, useDeskGate } from './GateDeskPage';

interface BookValues {
  waybill_number: string;
  leg_seq: number;
  kind: 'pickup' | 'dropoff';
  slot_id: string;
  truck_plate: string;
  container_number: string;
  driver: { name: string; phone: string; licence: string };
}

const FORM_FIELDS = new Set(['waybill_number', 'leg_seq', 'kind', 'slot_id', 'truck_plate', 'container_number', 'driver.name', 'driver.phone', 'driver.licence']);

function PassModal({ appointment, onClose }: { appointment: Appointment | null; onClose: () => void }) {
  const { t } = useTranslation();
  const pass = appointment?.gate_pass ?? null;
  return (
    <Modal open={appointment !== null} onCancel={onClose} footer={null} title={t('gate.passOf', { reference: appointment?.reference ?? '' })}>
      {pass && appointment ? <PassView pass={pass} reference={appointment.reference} /> : null}
    </Modal>
  );
}

/** A dispatcher's gate appointments: book a truck into a slot (the pass comes at once), see and cancel them. */
export function AppointmentsPage() {
  const { t, i18n } = useTranslation();
  const api = useApi();
  const queryClient = useQueryClient();
  const { message, modal } = App.useApp();
  const { timeZone } = useTimeZone();
  const { gate, setGate, gates } = useDeskGate();
  const [form] = Form.useForm<BookValues>();
  const [day, setDay] = useState<Dayjs>(() => dayjs().tz(timeZone));
  const [shown, setShown] = useState<Appointment | null>(null);
  const [rescheduling, setRescheduling] = useState<Appointment | null>(null);
  const [general, setGeneral] = useState<string[]>([]);
  const dayText = day.format('YYYY-MM-DD');

  const slots = useQuery<Slot[], ApiError>({
    queryKey: gateKeys.slots(gate ?? '', dayText),
    queryFn: ({ signal }) => fetchSlots(api, gate!, dayText, timeZone, signal),
    enabled: Boolean(gate),
  });
  const mine = useQuery<Appointment[], ApiError>({
    queryKey: ['gates', 'mine', 'list'],
    queryFn: ({ signal }) => fetchAppointments(api, {}, signal),
  });
  const book = useMutation<Appointment, ApiError, BookValues>({
    mutationFn: (values) =>
      bookAppointment(api, {
        ...values,
        waybill_number: values.waybill_number.trim().toUpperCase(),
        truck_plate: values.truck_plate.toUpperCase().replace(/[\s·.-]/g, ''),
        container_number: values.container_number.toUpperCase().replace(/[\s-]/g, ''),
      }),
    onSuccess: (appointment) => {
      setGeneral([]);
      void message.success(t('appointments.booked', { reference: appointment.reference }));
      void queryClient.invalidateQueries({ queryKey: ['gates'] });
      setShown(appointment);
    },
    onError: (error) => {
      const placed = placeFieldErrors(error.errors, (path) => FORM_FIELDS.has(path.join('.')));
      form.setFields(placed.fields.map((field) => ({ name: field.name as never, errors: field.errors })));
      setGeneral(placed.general.length > 0 || placed.fields.length > 0 ? placed.general : [error.detail || error.title]);
    },
  });
  const cancel = useMutation<Appointment, ApiError, { id: string; reason: string }>({
    mutationFn: ({ id, reason }) => cancelAppointment(api, id, reason),
    onSuccess: () => {
      void message.success(t('appointments.cancelled'));
      void queryClient.invalidateQueries({ queryKey: ['gates'] });
    },
    onError: (error) => void message.error(error.detail || error.title),
  });

  const askCancel = (appointment: Appointment) => {
    let reason = '';
    modal.confirm({
      title: t('appointments.cancelTitle', { reference: appointment.reference }),
      content: <Input.TextArea aria-label={t('gate.reason')} placeholder={t('gate.reasonPlaceholder')} onChange={(event) => (reason = event.target.value)} />,
      okText: t('common.confirm'),
      cancelText: t('common.cancel'),
      okButtonProps: { danger: true },
      onOk: () => {
        if (reason.trim().length < 3) {
          void message.warning(t('gate.reasonTooShort'));
          return Promise.reject(new Error('reason'));
        }
        cancel.mutate({ id: appointment.id, reason: reason.trim() });
        return undefined;
      },
    });
  };

  const now = dayjs();
  const slotOptions = (Array.isArray(slots.data) ? slots.data : []).filter((slot) => dayjs(slot.ends_at).isAfter(now));
  const rows = Array.isArray(mine.data) ? mine.data : [];
  const columns: TableColumnsType<Appointment> = [
    { title: t('gate.reference'), dataIndex: 'reference', key: 'ref', render: (value: string) => <span className="mono">{value}</span> },
    { title: t('gate.gate'), dataIndex: 'gate_code', key: 'gate' },
    {
      title: t('gate.slot'),
      key: 'slot',
      render: (_: unknown, a) => `${dayjs(a.slot.starts_at).tz(timeZone).format('MM-DD HH:mm')}–${dayjs(a.slot.ends_at).tz(timeZone).format('HH:mm')}`,
    },
    { title: t('gate.kind'), dataIndex: 'kind', key: 'kind', render: (kind: string) => t(`gate.kinds.${kind}`) },
    {
      title: t('gate.waybill'),
      key: 'waybill',
      render: (_: unknown, a) => (
        <Link className="mono" to={`/waybills/${encodeURIComponent(a.waybill_number)}`}>
          {a.waybill_number}
        </Link>
      ),
    },
    { title: t('gate.plate'), dataIndex: 'truck_plate', key: 'plate', render: (plate: string) => <span className="plate">{plate}</span> },
    { title: t('gate.status'), dataIndex: 'status', key: 'status', render: (status: string) => <Tag>{t(`gate.statuses.${status}`, { defaultValue: status })}</Tag> },
    {
      title: t('gate.actions'),
      key: 'actions',
      render: (_: unknown, a) => (
        <Space size={4}>
          <Button size="small" disabled={!a.gate_pass} onClick={() => setShown(a)}>
            {t('appointments.showPass')}
          </Button>
          {a.status === 'confirmed' ? (
            <Button size="small" icon={<SwapOutlined />} onClick={() => setRescheduling(a)} aria-label={t('reschedule.actionOf', { reference: a.reference })}>
              {t('reschedule.action')}
            </Button>
          ) : null}
          {a.status === 'confirmed' ? (
            <Button size="small" danger icon={<StopOutlined />} onClick={() => askCancel(a)}>
              {t('appointments.cancel')}
            </Button>
          ) : null}
        </Space>
      ),
    },
  ];

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={3} style={{ margin: 0 }}>
        {t('appointments.title')}
      </Typography.Title>
      <Card title={t('appointments.bookTitle')}>
        {general.length > 0 ? <Alert type="error" showIcon role="alert" title={general.join(' · ')} style={{ marginBottom: 16 }} /> : null}
        <Form<BookValues> form={form} layout="vertical" initialValues={{ leg_seq: 1, kind: 'pickup' }} onFinish={(values) => book.mutate(values)}>
          <Row gutter={16}>
            <Col xs={24} sm={12} lg={6}>
              <Form.Item name="waybill_number" label={t('gate.waybill')} rules={[{ required: true, whitespace: true, message: t('booking.required') }]}>
                <Input className="mono" placeholder="YD2600000012" />
              </Form.Item>
            </Col>
            <Col xs={12} sm={6} lg={3}>
              <Form.Item name="leg_seq" label={t('charges.leg')} rules={[{ required: true, message: t('booking.required') }]}>
                <InputNumber min={1} max={12} precision={0} style={{ width: '100%' }} />
              </Form.Item>
            </Col>
            <Col xs={12} sm={6} lg={3}>
              <Form.Item name="kind" label={t('gate.kind')}>
                <Select aria-label={t('gate.kind')} options={(['pickup', 'dropoff'] as const).map((value) => ({ value, label: t(`gate.kinds.${value}`) }))} />
              </Form.Item>
            </Col>
            <Col xs={24} sm={12} lg={6}>
              <Form.Item label={t('gate.gate')}>
                <GateSelect gate={gate} gates={gates} onChange={(code) => {
                  setGate(code);
                  form.setFieldValue('slot_id', undefined);
                }} />
              </Form.Item>
            </Col>
            <Col xs={24} sm={12} lg={6}>
              <Form.Item label={t('gate.day')}>
                <DatePicker value={day} allowClear={false} onChange={(value) => {
                  if (value) setDay(value);
                  form.setFieldValue('slot_id', undefined);
                }} style={{ width: '100%' }} />
              </Form.Item>
            </Col>
          </Row>
          <Form.Item name="slot_id" label={t('appointments.slot')} rules={[{ required: true, message: t('appointments.pickSlot') }]}>
            <Radio.Group className="slot-picker" aria-label={t('appointments.slot')}>
              {slotOptions.map((slot) => (
                <Radio.Button key={slot.id} value={slot.id} disabled={slot.available <= 0}>
                  {dayjs(slot.starts_at).tz(timeZone).format('HH:mm')} · {t('appointments.free', { count: slot.available })}
                </Radio.Button>
              ))}
            </Radio.Group>
          </Form.Item>
          {slotOptions.length === 0 && !slots.isPending ? <Typography.Text type="secondary">{t('gate.noSlots')}</Typography.Text> : null}
          <Row gutter={16}>
            <Col xs={24} sm={12} lg={6}>
              <Form.Item
                name="truck_plate"
                label={t('gate.plate')}
                rules={[
                  { required: true, message: t('booking.required') },
                  { pattern: CN_PLATE, transform: (v?: string) => v?.toUpperCase().replace(/[\s·.-]/g, ''), message: t('booking.plateInvalid') },
                ]}
              >
                <Input placeholder="浙B12345" />
              </Form.Item>
            </Col>
            <Col xs={24} sm={12} lg={6}>
              <Form.Item
                name="container_number"
                label={t('gate.container')}
                rules={[
                  { required: true, message: t('booking.required') },
                  { validator: async (_, value?: string) => {
                    const problem = value ? containerNumberMessage(value, t) : null;
                    if (problem) throw new Error(problem);
                  } },
                ]}
              >
                <Input className="mono" />
              </Form.Item>
            </Col>
            <Col xs={24} sm={8} lg={4}>
              <Form.Item name={['driver', 'name']} label={t('appointments.driverName')} rules={[{ required: true, whitespace: true, message: t('booking.required') }]}>
                <Input />
              </Form.Item>
            </Col>
            <Col xs={24} sm={8} lg={4}>
              <Form.Item name={['driver', 'phone']} label={t('appointments.driverPhone')} rules={[{ required: true, message: t('booking.required') }]}>
                <Input inputMode="tel" placeholder="+86 138 0000 0000" />
              </Form.Item>
            </Col>
            <Col xs={24} sm={8} lg={4}>
              <Form.Item name={['driver', 'licence']} label={t('appointments.driverLicence')} rules={[{ required: true, message: t('booking.required') }]}>
                <Input />
              </Form.Item>
            </Col>
          </Row>
          <Button type="primary" htmlType="submit" loading={book.isPending}>
            {t('appointments.book')}
          </Button>
        </Form>
      </Card>
      <Card title={t('appointments.mine', { count: rows.length })}>
        {mine.error ? <ProblemAlert error={mine.error} onRetry={() => void mine.refetch()} /> : null}
        <Table<Appointment>
          rowKey="id"
          size="small"
          columns={columns}
          dataSource={rows}
          loading={mine.isPending}
          pagination={{ pageSize: 20, hideOnSinglePage: true }}
          scroll={{ x: 'max-content' }}
          locale={{ emptyText: t('gate.noAppointments') }}
          key={i18n.language}
        />
      </Card>
      <PassModal appointment={shown} onClose={() => setShown(null)} />
      <RescheduleModal appointment={rescheduling} onClose={() => setRescheduling(null)} />
    </Space>
  );
}

