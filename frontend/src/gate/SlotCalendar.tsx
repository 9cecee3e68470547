import { CheckOutlined, CloseOutlined, EditOutlined } from '@ant-design/icons';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { App, Button, Empty, Form, InputNumber, Progress, Space, Tooltip } from 'antd';
import { useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/ApiContext';
import { changeSlotCapacity } from '../api/gates';
import type { Slot } from '../api/models';
import type { ApiError } from '../api/problem';
import { cleanMessage } from '../booking/fieldErrors';
import { dayjs } from '../time/dayjs';

/** `HH:mm–HH:mm` of a slot in a zone. */
export function slotTime(slot: Pick<Slot, 'starts_at' | 'ends_at'>, timeZone: string): string {
  return `${dayjs(slot.starts_at).tz(timeZone).format('HH:mm')}–${dayjs(slot.ends_at).tz(timeZone).format('HH:mm')}`;
}

interface CapacityError {
  code: string;
  /** The server's words, shown when the code has no text of our own. */
  text: string;
}

/** What the server said about a capacity change, for the capacity field. */
function capacityError(error: ApiError): CapacityError {
  const onField = error.errors.find((fieldError) => fieldError.field.replace(/^body\./, '') === 'capacity');
  if (onField) return { code: onField.code ?? 'field', text: cleanMessage(onField.message) };
  return { code: error.code, text: error.detail || error.title };
}

function SlotTile({ slot, timeZone, editable }: { slot: Slot; timeZone: string; editable: boolean }) {
  const { t } = useTranslation();
  const api = useApi();
  const queryClient = useQueryClient();
  const { message } = App.useApp();
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState<number | null>(slot.capacity);
  const [error, setError] = useState<CapacityError | null>(null);
  const editButton = useRef<HTMLButtonElement>(null);
  const returnFocus = useRef(false);
  const errorId = useId();
  const time = slotTime(slot, timeZone);

  const save = useMutation<Slot, ApiError, number>({
    mutationFn: (capacity) => changeSlotCapacity(api, slot.id, capacity),
    onSuccess: (saved) => {
      setError(null);
      returnFocus.current = true;
      setEditing(false);
      void message.success(t('gateSetup.capacitySaved', { time, capacity: saved.capacity }));
      void queryClient.invalidateQueries({ queryKey: ['gates'] });
    },
    onError: (failure) => {
      setError(capacityError(failure));
      // what is booked may have moved on since the calendar was loaded
      if (failure.code === 'capacity_below_booked') void queryClient.invalidateQueries({ queryKey: ['gates'] });
    },
  });

  useEffect(() => {
    if (!editing && returnFocus.current) {
      returnFocus.current = false;
      editButton.current?.focus();
    }
  }, [editing]);

  const start = () => {
    setValue(slot.capacity);
    setError(null);
    setEditing(true);
  };
  const cancel = () => {
    setError(null);
    returnFocus.current = true;
    setEditing(false);
  };
  const submit = () => {
    if (value === null || !Number.isInteger(value) || value < 0) {
      setError({ code: 'required', text: t('gateSetup.capacityRequired') });
      return;
    }
    if (value === slot.capacity) {
      cancel();
      return;
    }
    save.mutate(value);
  };

  const percent = slot.capacity > 0 ? Math.round((slot.booked / slot.capacity) * 100) : 100;
  const full = slot.available <= 0;
  const errorText = error ? (error.code === 'capacity_below_booked' ? t('gateSetup.capacityBelowBooked', { booked: slot.booked }) : error.text) : null;
  const classes = ['slot', full ? 'slot--full' : '', editing ? 'slot--editing' : ''].filter(Boolean).join(' ');

  return (
    <li className={classes} data-slot-id={slot.id}>
      <div className="slot__head">
        <span className="slot__time">{time}</span>
        {editable && !editing ? (
          <Tooltip title={t('gateSetup.editCapacity', { time })}>
            <Button ref={editButton} size="small" type="text" icon={<EditOutlined />} aria-label={t('gateSetup.editCapacity', { time })} onClick={start} />
          </Tooltip>
        ) : null}
      </div>
      <Progress percent={percent} size="small" showInfo={false} status={full ? 'exception' : 'normal'} aria-hidden />
      <div className="slot__count">{t('gate.slotCount', { booked: slot.booked, capacity: slot.capacity })}</div>
      {editing ? (
        <Form component={false}>
          <Form.Item
            className="slot__edit"
            validateStatus={errorText ? 'error' : undefined}
            help={errorText ? <span id={errorId}>{errorText}</span> : undefined}
            style={{ margin: '6px 0 0' }}
          >
            <Space.Compact style={{ width: '100%' }}>
              <InputNumber
                size="small"
                min={0}
                max={1000}
                precision={0}
                value={value}
                onChange={(next) => setValue(typeof next === 'number' ? next : null)}
                onPressEnter={submit}
                onKeyDown={(event) => {
                  if (event.key === 'Escape') {
                    event.stopPropagation();
                    cancel();
                  }
                }}
                aria-label={t('gateSetup.capacityOf', { time })}
                aria-invalid={errorText ? true : undefined}
                aria-describedby={errorText ? errorId : undefined}
                autoFocus
                style={{ width: '100%' }}
              />
              <Button size="small" type="primary" icon={<CheckOutlined />} loading={save.isPending} onClick={submit} aria-label={t('gateSetup.saveCapacity')} />
              <Button size="small" icon={<CloseOutlined />} onClick={cancel} aria-label={t('gateSetup.cancelEdit')} />
            </Space.Compact>
          </Form.Item>
        </Form>
      ) : null}
    </li>
  );
}

/** A gate's slots of a day and how full they are; the terminal's operators can change a slot's capacity in place. */
export function SlotCalendar({ slots, timeZone, editable = false }: { slots: Slot[]; timeZone: string; editable?: boolean }) {
  const { t } = useTranslation();
  if (slots.length === 0) return <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('gate.noSlots')} />;
  return (
    <ol className="slot-grid" aria-label={t('gate.slots')}>
      {slots.map((slot) => (
        <SlotTile key={slot.id} slot={slot} timeZone={timeZone} editable={editable} />
      ))}
    </ol>
  );
}
