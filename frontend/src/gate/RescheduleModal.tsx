import { SwapOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Col, DatePicker, Descriptions, Form, Input, Modal, Radio, Row, Space, Tag, Typography } from 'antd';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/ApiContext';
import { fetchGates, moreKeys } from '../api/endpoints';
import { fetchSlots, gateKeys, rescheduleAppointment } from '../api/gates';
import type { Appointment, Gate, Slot } from '../api/models';
import type { ApiError } from '../api/problem';
import { cleanMessage } from '../booking/fieldErrors';
import { ProblemAlert } from '../components/ProblemAlert';
import { dayjs } from '../time/dayjs';
import { useTimeZone } from '../time/TimeZoneContext';
import { GateSelect } from './GateSelect';
import { PassView } from './PassView';
import { slotTime } from './SlotCalendar';

interface RescheduleValues {
  slot_id?: string;
  reason?: string;
}

/** The form field a server error about a reschedule belongs on; errors about the whole request go to the slot. */
export function rescheduleField(field: string): keyof RescheduleValues | null {
  const name = field.replace(/^body\.?/, '');
  if (name === 'reason') return 'reason';
  if (name === 'slot_id' || name === '') return 'slot_id';
  return null;
}

/** `MM-DD HH:mm–HH:mm · gate` of an appointment's slot. */
function slotLabel(slot: Slot, timeZone: string): string {
  return `${dayjs(slot.starts_at).tz(timeZone).format('MM-DD')} ${slotTime(slot, timeZone)} · ${slot.gate_code}`;
}

function RescheduleForm({ appointment, onDone, onCancel }: { appointment: Appointment; onDone: (moved: Appointment) => void; onCancel: () => void }) {
  const { t } = useTranslation();
  const api = useApi();
  const queryClient = useQueryClient();
  const { timeZone } = useTimeZone();
  const [form] = Form.useForm<RescheduleValues>();
  const [gate, setGate] = useState(appointment.gate_code);
  const [day, setDay] = useState<Dayjs>(() => dayjs(appointment.slot.starts_at).tz(timeZone));
  const [failure, setFailure] = useState<ApiError | null>(null);
  const dayText = day.format('YYYY-MM-DD');

  const gates = useQuery<Gate[], ApiError>({ queryKey: moreKeys.gates, queryFn: ({ signal }) => fetchGates(api, undefined, signal), staleTime: 3_600_000 });
  // the new slot may be at any gate of the same terminal
  const sameTerminal = (Array.isArray(gates.data) ? gates.data : []).filter((g) => g.terminal_code === appointment.terminal_code);
  const slots = useQuery<Slot[], ApiError>({
    queryKey: gateKeys.slots(gate, dayText),
    queryFn: ({ signal }) => fetchSlots(api, gate, dayText, timeZone, signal),
  });
  const now = dayjs();
  const options = (Array.isArray(slots.data) ? slots.data : []).filter((slot) => dayjs(slot.ends_at).isAfter(now));

  const move = useMutation<Appointment, ApiError, RescheduleValues>({
    mutationFn: (values) => rescheduleAppointment(api, appointment.id, { slot_id: values.slot_id ?? null, reason: values.reason?.trim() || null }),
    onSuccess: (moved) => {
      setFailure(null);
      void queryClient.invalidateQueries({ queryKey: ['gates'] });
      onDone(moved);
    },
    onError: (error) => {
      if (error.code === 'slot_full') {
        form.setFields([{ name: 'slot_id', errors: [t('reschedule.slotFull')] }]);
        setFailure(null);
        void slots.refetch();
        return;
      }
      const placed = error.errors.flatMap((fieldError) => {
        const name = rescheduleField(fieldError.field);
        return name ? [{ name, errors: [cleanMessage(fieldError.message)] }] : [];
      });
      form.setFields(placed);
      setFailure(placed.length > 0 ? null : error);
    },
  });

  return (
    <>
      <Descriptions
        size="small"
        column={1}
        bordered
        style={{ marginBottom: 16 }}
        items={[
          { key: 'current', label: t('reschedule.current'), children: slotLabel(appointment.slot, timeZone) },
          { key: 'plate', label: t('gate.plate'), children: <span className="plate">{appointment.truck_plate}</span> },
          { key: 'container', label: t('gate.container'), children: <span className="mono">{appointment.container_number}</span> },
        ]}
      />
      {failure ? (
        <div style={{ marginBottom: 16 }}>
          <ProblemAlert error={failure} />
        </div>
      ) : null}
      <Form<RescheduleValues> form={form} name="reschedule" layout="vertical" onFinish={(values) => move.mutate(values)}>
        <Row gutter={16}>
          <Col xs={24} sm={14}>
            <Form.Item label={t('gate.gate')} htmlFor="reschedule_gate" extra={t('reschedule.sameTerminal', { terminal: appointment.terminal_code })}>
              <GateSelect
                id="reschedule_gate"
                gate={gate}
                gates={sameTerminal}
                style={{ width: '100%' }}
                onChange={(code) => {
                  setGate(code);
                  form.setFieldValue('slot_id', undefined);
                }}
              />
            </Form.Item>
          </Col>
          <Col xs={24} sm={10}>
            <Form.Item label={t('gate.day')} htmlFor="reschedule_day">
              <DatePicker
                id="reschedule_day"
                value={day}
                allowClear={false}
                disabledDate={(date) => date.isBefore(dayjs().tz(timeZone), 'day')}
                // Enter confirms a typed date; it does not submit
                onKeyDown={(event) => {
                  if (event.key === 'Enter') event.preventDefault();
                }}
                onChange={(value) => {
                  if (value) setDay(value);
                  form.setFieldValue('slot_id', undefined);
                }}
                style={{ width: '100%' }}
              />
            </Form.Item>
          </Col>
        </Row>
        {slots.error ? <ProblemAlert error={slots.error} onRetry={() => void slots.refetch()} /> : null}
        <Form.Item name="slot_id" label={t('reschedule.newSlot')} rules={[{ required: true, message: t('reschedule.pickSlot') }]}>
          <Radio.Group className="slot-picker" aria-label={t('reschedule.newSlot')}>
            {options.map((slot) => {
              const current = slot.id === appointment.slot.id;
              return (
                <Radio.Button key={slot.id} value={slot.id} disabled={current || slot.available <= 0}>
                  {dayjs(slot.starts_at).tz(timeZone).format('HH:mm')} · {current ? t('reschedule.currentTag') : t('appointments.free', { count: slot.available })}
                </Radio.Button>
              );
            })}
          </Radio.Group>
        </Form.Item>
        {options.length === 0 && !slots.isPending ? (
          <Typography.Paragraph type="secondary" style={{ marginTop: -12 }}>
            {t('reschedule.noFreeSlots')}
          </Typography.Paragraph>
        ) : null}
        <Form.Item name="reason" label={t('reschedule.reason')} rules={[{ max: 500 }]}>
          <Input.TextArea rows={2} maxLength={500} />
        </Form.Item>
        <Space wrap style={{ width: '100%', justifyContent: 'flex-end' }}>
          <Button onClick={onCancel}>{t('common.cancel')}</Button>
          <Button type="primary" htmlType="submit" icon={<SwapOutlined />} loading={move.isPending}>
            {t('reschedule.submit')}
          </Button>
        </Space>
      </Form>
    </>
  );
}

function Moved({ appointment, onClose }: { appointment: Appointment; onClose: () => void }) {
  const { t } = useTranslation();
  const { timeZone } = useTimeZone();
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }} className="rescheduled">
      <Alert
        type="warning"
        showIcon
        role="status"
        title={t('reschedule.done', { slot: slotLabel(appointment.slot, timeZone) })}
        description={t('reschedule.oldRevoked')}
      />
      {appointment.gate_pass ? (
        <>
          <Typography.Title level={5} style={{ margin: 0 }}>
            {t('reschedule.newPass')}
            {' · '}
            <Tag color="green">{t(`gate.passStatuses.${appointment.gate_pass.status}`, { defaultValue: appointment.gate_pass.status })}</Tag>
          </Typography.Title>
          <PassView pass={appointment.gate_pass} reference={appointment.reference} />
        </>
      ) : null}
      <Space style={{ width: '100%', justifyContent: 'flex-end' }}>
        <Button type="primary" onClick={onClose} autoFocus>
          {t('reschedule.close')}
        </Button>
      </Space>
    </Space>
  );
}

/**
 * Moves a confirmed appointment to another slot with free places (same terminal). The API revokes the old
 * pass and issues a new one, which is shown right away for the driver.
 */
export function RescheduleModal({ appointment, onClose }: { appointment: Appointment | null; onClose: () => void }) {
  const { t } = useTranslation();
  const [moved, setMoved] = useState<Appointment | null>(null);
  const close = () => {
    setMoved(null);
    onClose();
  };
  return (
    <Modal
      open={appointment !== null}
      onCancel={close}
      footer={null}
      destroyOnHidden
      width={640}
      title={t('reschedule.title', { reference: appointment?.reference ?? '' })}
    >
      {moved ? (
        <Moved appointment={moved} onClose={close} />
      ) : appointment ? (
        <RescheduleForm key={appointment.id} appointment={appointment} onDone={setMoved} onCancel={close} />
      ) : null}
    </Modal>
  );
}
