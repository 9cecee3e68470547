import { DeleteOutlined, PlusOutlined, WarningFilled } from '@ant-design/icons';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  App,
  AutoComplete,
  Button,
  Card,
  Checkbox,
  Col,
  DatePicker,
  Descriptions,
  Form,
  Input,
  InputNumber,
  Row,
  Select,
  Space,
  Steps,
  Table,
  Tag,
  Typography,
  type FormInstance,
} from 'antd';
import { useCallback, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { useApi } from '../api/ApiContext';
import { createWaybill, fetchOrganisations, moreKeys } from '../api/endpoints';
import { TRANSPORT_MODES, type Location, type Organisation, type TransportMode } from '../api/models';
import { isApiError } from '../api/problem';
import { containerNumberMessage } from '../booking/ContainerInput';
import { placeFieldErrors, type NamePath } from '../booking/fieldErrors';
import {
  CN_PLATE,
  DG_CLASSES,
  PACKING_GROUPS,
  STEP_FIELDS,
  VEHICLE_FIELDS,
  nextLeg,
  stepOfPath,
  toWaybillInput,
  type BookingForm,
  type LegForm,
} from '../booking/form';
import { LocationSelect, locationLabel } from '../booking/LocationSelect';
import { dayjs } from '../time/dayjs';
import { useTimeZone } from '../time/TimeZoneContext';
import { ModeIcon, useModeLabel } from '../waybills/modes';

const SIZE_TYPES = ['22G1', '42G1', '45G1', '45R1', '22R1', '22T6', '42U1', '45U1'];
const PACKAGE_TYPES = ['PK', 'CT', 'BX', 'PL', 'DR', 'BG', 'CS', 'CR', 'RL'];

// Every field the form has, with list indexes as '#', so a server error can find its field.
const FIELDS = new Set([
  'reference',
  'remarks',
  'consignee.name',
  'consignee.address',
  'consignee.contact',
  'notify.name',
  'notify.address',
  'notify.contact',
  'legs.#.mode',
  'legs.#.carrier_id',
  'legs.#.from_unlocode',
  'legs.#.from_terminal',
  'legs.#.to_unlocode',
  'legs.#.to_terminal',
  'legs.#.planned_departure',
  'legs.#.planned_arrival',
  ...Object.values(VEHICLE_FIELDS)
    .flat()
    .map((field) => `legs.#.vehicle.${field}`),
  'cargo_lines.#.description',
  'cargo_lines.#.hs_code',
  'cargo_lines.#.packages',
  'cargo_lines.#.package_type',
  'cargo_lines.#.gross_weight_kg',
  'cargo_lines.#.volume_m3',
  'cargo_lines.#.marks',
  'cargo_lines.#.un_number',
  'cargo_lines.#.dg_class',
  'cargo_lines.#.packing_group',
  'equipment.#.container_number',
  'equipment.#.size_type',
  'equipment.#.seals',
]);

const hasField = (path: NamePath): boolean => FIELDS.has(path.map((part) => (typeof part === 'number' ? '#' : part)).join('.'));

function initialValues(): BookingForm {
  const start = dayjs().add(1, 'day').hour(8).minute(0).second(0).millisecond(0);
  return {
    legs: [{ vehicle: {}, planned_departure: start, planned_arrival: start.add(2, 'day') }],
    cargo_lines: [{ package_type: 'PK', dangerous: false }],
    equipment: [],
  };
}

function orgName(org: Organisation, language: string): string {
  return language.startsWith('zh') && org.name_zh ? org.name_zh : org.name;
}

// ---- step 1: parties ----

function PartiesStep() {
  const { t } = useTranslation();
  return (
    <Row gutter={[24, 0]}>
      <Col xs={24} lg={12}>
        <Typography.Title level={5}>{t('booking.consignee')}</Typography.Title>
        <Form.Item name={['consignee', 'name']} label={t('booking.partyName')} rules={[{ required: true, whitespace: true, message: t('booking.required') }, { max: 200 }]}>
          <Input autoComplete="organization" />
        </Form.Item>
        <Form.Item name={['consignee', 'address']} label={t('booking.partyAddress')} rules={[{ max: 500 }]}>
          <Input.TextArea autoSize={{ minRows: 2, maxRows: 4 }} />
        </Form.Item>
        <Form.Item name={['consignee', 'contact']} label={t('booking.partyContact')} rules={[{ max: 200 }]}>
          <Input />
        </Form.Item>
      </Col>
      <Col xs={24} lg={12}>
        <Typography.Title level={5}>{t('booking.notify')}</Typography.Title>
        <Form.Item name={['notify', 'name']} label={t('booking.partyName')} rules={[{ max: 200 }]}>
          <Input />
        </Form.Item>
        <Form.Item name={['notify', 'address']} label={t('booking.partyAddress')} rules={[{ max: 500 }]}>
          <Input.TextArea autoSize={{ minRows: 2, maxRows: 4 }} />
        </Form.Item>
        <Form.Item name={['notify', 'contact']} label={t('booking.partyContact')} rules={[{ max: 200 }]}>
          <Input />
        </Form.Item>
        <Form.Item name="reference" label={t('booking.reference')} tooltip={t('booking.referenceHelp')} rules={[{ max: 40 }]}>
          <Input />
        </Form.Item>
      </Col>
    </Row>
  );
}

// ---- step 2: route ----

function VehicleFields({ index, mode }: { index: number; mode: TransportMode | undefined }) {
  const { t } = useTranslation();
  if (!mode) return null;
  return (
    <Row gutter={16}>
      {VEHICLE_FIELDS[mode].map((field) => (
        <Col key={field} xs={24} sm={12} lg={6}>
          <Form.Item
            name={[index, 'vehicle', field]}
            label={t(`booking.vehicle.${field}`)}
            rules={
              field === 'truck_plate'
                ? [{ pattern: CN_PLATE, message: t('booking.plateInvalid'), transform: (v: string) => v?.toUpperCase().replace(/[\s·.-]/g, '') }]
                : field === 'imo'
                  ? [{ pattern: /^(IMO)?\s*\d{7}$/i, message: t('booking.imoInvalid') }]
                  : field === 'mmsi'
                    ? [{ pattern: /^\d{9}$/, message: t('booking.mmsiInvalid') }]
                    : [{ max: field === 'vessel_name' ? 100 : 20 }]
            }
          >
            <Input placeholder={field === 'truck_plate' ? '浙B12345' : undefined} />
          </Form.Item>
        </Col>
      ))}
    </Row>
  );
}

function LegCard({
  form,
  index,
  count,
  carriers,
  onRemove,
  onPlace,
}: {
  form: FormInstance<BookingForm>;
  index: number;
  count: number;
  carriers: Organisation[];
  onRemove: () => void;
  onPlace: (location: Location) => void;
}) {
  const { t, i18n } = useTranslation();
  const modeLabel = useModeLabel();
  const { timeZone } = useTimeZone();
  const mode = Form.useWatch(['legs', index, 'mode'], form) as TransportMode | undefined;
  return (
    <Card
      size="small"
      className="leg-card"
      data-leg={index + 1}
      title={
        <Space>
          {mode ? <ModeIcon mode={mode} /> : null}
          {t('detail.leg', { seq: index + 1 })}
        </Space>
      }
      extra={
        count > 1 ? (
          <Button type="text" danger icon={<DeleteOutlined />} onClick={onRemove} aria-label={t('booking.removeLeg', { seq: index + 1 })}>
            {t('booking.remove')}
          </Button>
        ) : null
      }
    >
      <Row gutter={16}>
        <Col xs={24} sm={12} lg={6}>
          <Form.Item name={[index, 'mode']} label={t('booking.mode')} rules={[{ required: true, message: t('booking.required') }]}>
            <Select<TransportMode>
              aria-label={t('booking.mode')}
              options={TRANSPORT_MODES.map((value) => ({
                value,
                label: (
                  <Space size={6}>
                    <ModeIcon mode={value} />
                    {modeLabel(value)}
                  </Space>
                ),
              }))}
            />
          </Form.Item>
        </Col>
        <Col xs={24} sm={12} lg={6}>
          <Form.Item name={[index, 'carrier_id']} label={t('booking.carrier')} rules={[{ required: true, message: t('booking.required') }]}>
            <Select
              aria-label={t('booking.carrier')}
              showSearch={{ optionFilterProp: 'label' }}
              options={carriers.map((org) => ({ value: org.id, label: orgName(org, i18n.language) }))}
            />
          </Form.Item>
        </Col>
        <Col xs={24} sm={12} lg={6}>
          <Form.Item
            name={[index, 'from_unlocode']}
            label={t('booking.from')}
            dependencies={index > 0 ? [['legs', index - 1, 'to_unlocode']] : []}
            rules={[
              { required: true, message: t('booking.required') },
              ({ getFieldValue }) => ({
                validator: async (_, value: string | undefined) => {
                  const previous = index > 0 ? (getFieldValue(['legs', index - 1, 'to_unlocode']) as string | undefined) : undefined;
                  if (index > 0 && value && previous && value !== previous) throw new Error(t('booking.legsMustConnect', { place: previous }));
                },
              }),
            ]}
          >
            <LocationSelect aria-label={t('booking.fromOf', { seq: index + 1 })} onPicked={onPlace} />
          </Form.Item>
        </Col>
        <Col xs={24} sm={12} lg={6}>
          <Form.Item
            name={[index, 'to_unlocode']}
            label={t('booking.to')}
            dependencies={[['legs', index, 'from_unlocode']]}
            rules={[
              { required: true, message: t('booking.required') },
              ({ getFieldValue }) => ({
                validator: async (_, value: string | undefined) => {
                  if (value && value === getFieldValue(['legs', index, 'from_unlocode']) && getFieldValue(['legs', index, 'mode']) !== 'TRUCK') {
                    throw new Error(t('booking.samePlace'));
                  }
                },
              }),
            ]}
          >
            <LocationSelect aria-label={t('booking.toOf', { seq: index + 1 })} onPicked={onPlace} />
          </Form.Item>
        </Col>
        <Col xs={24} sm={12} lg={6}>
          <Form.Item
            name={[index, 'planned_departure']}
            label={`${t('booking.departure')} (${timeZone})`}
            rules={[{ required: true, message: t('booking.required') }]}
          >
            <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" style={{ width: '100%' }} aria-label={t('booking.departureOf', { seq: index + 1 })} />
          </Form.Item>
        </Col>
        <Col xs={24} sm={12} lg={6}>
          <Form.Item
            name={[index, 'planned_arrival']}
            label={`${t('booking.arrival')} (${timeZone})`}
            dependencies={[['legs', index, 'planned_departure']]}
            rules={[
              { required: true, message: t('booking.required') },
              ({ getFieldValue }) => ({
                validator: async (_, value: dayjs.Dayjs | null | undefined) => {
                  const departure = getFieldValue(['legs', index, 'planned_departure']) as dayjs.Dayjs | null | undefined;
                  if (value && departure && !value.isAfter(departure)) throw new Error(t('booking.arrivalAfterDeparture'));
                },
              }),
            ]}
          >
            <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" style={{ width: '100%' }} aria-label={t('booking.arrivalOf', { seq: index + 1 })} />
          </Form.Item>
        </Col>
        <Col xs={24} sm={12} lg={6}>
          <Form.Item name={[index, 'from_terminal']} label={t('booking.fromTerminal')} rules={[{ max: 20 }]}>
            <Input placeholder="CNNGB-BLC" />
          </Form.Item>
        </Col>
        <Col xs={24} sm={12} lg={6}>
          <Form.Item name={[index, 'to_terminal']} label={t('booking.toTerminal')} rules={[{ max: 20 }]}>
            <Input />
          </Form.Item>
        </Col>
      </Row>
      <VehicleFields index={index} mode={mode} />
    </Card>
  );
}

function RouteStep({ form, carriers, onPlace }: { form: FormInstance<BookingForm>; carriers: Organisation[]; onPlace: (location: Location) => void }) {
  const { t } = useTranslation();
  return (
    <Form.List
      name="legs"
      rules={[
        {
          validator: async (_, legs: LegForm[] | undefined) => {
            if (!legs || legs.length === 0) throw new Error(t('booking.needLeg'));
          },
        },
      ]}
    >
      {(fields, { add, remove }, { errors }) => (
        <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
          {fields.map((field) => (
            <LegCard
              key={field.key}
              form={form}
              index={field.name}
              count={fields.length}
              carriers={carriers}
              onRemove={() => remove(field.name)}
              onPlace={onPlace}
            />
          ))}
          <Form.ErrorList errors={errors} />
          <Button
            type="dashed"
            icon={<PlusOutlined />}
            block
            disabled={fields.length >= 12}
            onClick={() => {
              const legs = (form.getFieldValue('legs') as LegForm[] | undefined) ?? [];
              add(nextLeg(legs[legs.length - 1]));
            }}
          >
            {t('booking.addLeg')}
          </Button>
        </Space>
      )}
    </Form.List>
  );
}

// ---- step 3: cargo ----

function CargoLineCard({ form, index, count, onRemove }: { form: FormInstance<BookingForm>; index: number; count: number; onRemove: () => void }) {
  const { t } = useTranslation();
  const dangerous = Form.useWatch(['cargo_lines', index, 'dangerous'], form) as boolean | undefined;
  return (
    <Card
      size="small"
      className={dangerous ? 'cargo-card cargo-card--dg' : 'cargo-card'}
      title={t('booking.cargoLine', { seq: index + 1 })}
      extra={
        count > 1 ? (
          <Button type="text" danger icon={<DeleteOutlined />} onClick={onRemove} aria-label={t('booking.removeCargo', { seq: index + 1 })}>
            {t('booking.remove')}
          </Button>
        ) : null
      }
    >
      <Row gutter={16}>
        <Col xs={24} lg={12}>
          <Form.Item name={[index, 'description']} label={t('cargo.description')} rules={[{ required: true, whitespace: true, message: t('booking.required') }, { max: 500 }]}>
            <Input />
          </Form.Item>
        </Col>
        <Col xs={12} lg={6}>
          <Form.Item name={[index, 'hs_code']} label={t('cargo.hsCode')} rules={[{ pattern: /^\d{6,10}$/, transform: (v?: string) => v?.replace(/[\s.-]/g, ''), message: t('booking.hsInvalid') }]}>
            <Input inputMode="numeric" />
          </Form.Item>
        </Col>
        <Col xs={12} lg={6}>
          <Form.Item name={[index, 'marks']} label={t('cargo.marks')} rules={[{ max: 500 }]}>
            <Input />
          </Form.Item>
        </Col>
        <Col xs={12} sm={6}>
          <Form.Item name={[index, 'packages']} label={t('cargo.packages')} rules={[{ required: true, message: t('booking.required') }]}>
            <InputNumber min={1} max={1_000_000} precision={0} style={{ width: '100%' }} />
          </Form.Item>
        </Col>
        <Col xs={12} sm={6}>
          <Form.Item name={[index, 'package_type']} label={t('booking.packageType')}>
            <AutoComplete options={PACKAGE_TYPES.map((value) => ({ value }))} />
          </Form.Item>
        </Col>
        <Col xs={12} sm={6}>
          <Form.Item name={[index, 'gross_weight_kg']} label={t('cargo.grossWeight')} rules={[{ required: true, message: t('booking.required') }]}>
            <InputNumber min={0.001} max={200_000} style={{ width: '100%' }} />
          </Form.Item>
        </Col>
        <Col xs={12} sm={6}>
          <Form.Item name={[index, 'volume_m3']} label={t('cargo.volume')}>
            <InputNumber min={0} max={10_000} style={{ width: '100%' }} />
          </Form.Item>
        </Col>
      </Row>
      <Form.Item name={[index, 'dangerous']} valuePropName="checked" style={{ marginBottom: dangerous ? 8 : 0 }}>
        <Checkbox>
          <Space size={4}>
            <WarningFilled style={{ color: '#cf1322' }} />
            {t('booking.dangerous')}
          </Space>
        </Checkbox>
      </Form.Item>
      {dangerous ? (
        <Row gutter={16}>
          <Col xs={24} sm={8}>
            <Form.Item
              name={[index, 'un_number']}
              label={t('cargo.unNumber')}
              rules={[
                { required: true, message: t('booking.required') },
                { pattern: /^(UN)?\d{4}$/i, message: t('booking.unInvalid') },
              ]}
            >
              <Input placeholder="1993" inputMode="numeric" />
            </Form.Item>
          </Col>
          <Col xs={12} sm={8}>
            <Form.Item name={[index, 'dg_class']} label={t('cargo.dgClass')} rules={[{ required: true, message: t('booking.required') }]}>
              <Select aria-label={t('cargo.dgClass')} options={DG_CLASSES.map((value) => ({ value, label: value }))} />
            </Form.Item>
          </Col>
          <Col xs={12} sm={8}>
            <Form.Item name={[index, 'packing_group']} label={t('cargo.packingGroup')}>
              <Select aria-label={t('cargo.packingGroup')} allowClear options={PACKING_GROUPS.map((value) => ({ value, label: value }))} />
            </Form.Item>
          </Col>
        </Row>
      ) : null}
    </Card>
  );
}

function CargoStep({ form }: { form: FormInstance<BookingForm> }) {
  const { t } = useTranslation();
  return (
    <Form.List name="cargo_lines">
      {(fields, { add, remove }) => (
        <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
          {fields.map((field) => (
            <CargoLineCard key={field.key} form={form} index={field.name} count={fields.length} onRemove={() => remove(field.name)} />
          ))}
          <Button type="dashed" icon={<PlusOutlined />} block onClick={() => add({ package_type: 'PK', dangerous: false })}>
            {t('booking.addCargo')}
          </Button>
        </Space>
      )}
    </Form.List>
  );
}

// ---- step 4: containers ----

function EquipmentStep() {
  const { t } = useTranslation();
  return (
    <Form.List name="equipment">
      {(fields, { add, remove }) => (
        <Space orientation="vertical" size="small" style={{ width: '100%' }}>
          {fields.length === 0 ? <Typography.Text type="secondary">{t('booking.noContainers')}</Typography.Text> : null}
          {fields.map((field) => (
            <Row key={field.key} gutter={12} align="top" className="equipment-row">
              <Col xs={24} sm={9}>
                <Form.Item
                  name={[field.name, 'container_number']}
                  label={t('equipmentCols.containerNumber')}
                  validateTrigger={['onChange', 'onBlur']}
                  rules={[
                    { required: true, message: t('booking.required') },
                    {
                      validator: async (_, value: string | undefined) => {
                        const message = value ? containerNumberMessage(value, t) : null;
                        if (message) throw new Error(message);
                      },
                    },
                  ]}
                >
                  <Input className="mono" placeholder="MSCU6639871" maxLength={15} autoCapitalize="characters" />
                </Form.Item>
              </Col>
              <Col xs={12} sm={5}>
                <Form.Item name={[field.name, 'size_type']} label={t('equipmentCols.sizeType')}>
                  <AutoComplete options={SIZE_TYPES.map((value) => ({ value }))} placeholder="42G1" />
                </Form.Item>
              </Col>
              <Col xs={12} sm={8}>
                <Form.Item name={[field.name, 'seals']} label={t('equipmentCols.seals')}>
                  <Select mode="tags" aria-label={t('equipmentCols.seals')} tokenSeparators={[',', ' ']} maxCount={6} open={false} suffixIcon={null} />
                </Form.Item>
              </Col>
              <Col xs={24} sm={2}>
                <Form.Item label=" " colon={false}>
                  <Button danger type="text" icon={<DeleteOutlined />} onClick={() => remove(field.name)} aria-label={t('booking.removeContainer', { seq: field.name + 1 })} />
                </Form.Item>
              </Col>
            </Row>
          ))}
          <Button type="dashed" icon={<PlusOutlined />} block onClick={() => add({ size_type: '42G1', seals: [] })}>
            {t('booking.addContainer')}
          </Button>
        </Space>
      )}
    </Form.List>
  );
}

// ---- step 5: review ----

function ReviewStep({ form, carriers, places }: { form: FormInstance<BookingForm>; carriers: Organisation[]; places: Map<string, Location> }) {
  const { t, i18n } = useTranslation();
  const modeLabel = useModeLabel();
  const values = (Form.useWatch([], { form, preserve: true }) ?? {}) as BookingForm;
  const place = (code: string | undefined) => {
    if (!code) return t('common.empty');
    const location = places.get(code);
    return location ? locationLabel(location, i18n.language) : code;
  };
  const carrier = (id: string | undefined) => {
    const org = carriers.find((candidate) => candidate.id === id);
    return org ? orgName(org, i18n.language) : t('common.empty');
  };
  const legs = values.legs ?? [];
  const lines = values.cargo_lines ?? [];
  const equipment = (values.equipment ?? []).filter((item) => item.container_number);
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Descriptions
        bordered
        size="small"
        column={{ xs: 1, md: 2 }}
        items={[
          { key: 'consignee', label: t('booking.consignee'), children: values.consignee?.name || t('common.empty') },
          { key: 'notify', label: t('booking.notify'), children: values.notify?.name || t('common.empty') },
          { key: 'reference', label: t('booking.reference'), children: values.reference || t('common.empty') },
          {
            key: 'dg',
            label: t('cargo.dg'),
            children: lines.some((line) => line.dangerous) ? <Tag color="red">{t('common.yes')}</Tag> : t('common.no'),
          },
        ]}
      />
      <Table
        size="small"
        pagination={false}
        rowKey={(_, index) => String(index)}
        scroll={{ x: 'max-content' }}
        dataSource={legs}
        columns={[
          { title: t('cargo.seq'), key: 'seq', render: (_, __, index) => index + 1, width: 48 },
          { title: t('booking.mode'), dataIndex: 'mode', key: 'mode', render: (mode?: string) => (mode ? modeLabel(mode) : t('common.empty')) },
          { title: t('booking.carrier'), dataIndex: 'carrier_id', key: 'carrier', render: (id?: string) => carrier(id) },
          { title: t('booking.from'), dataIndex: 'from_unlocode', key: 'from', render: (code?: string) => place(code) },
          { title: t('booking.to'), dataIndex: 'to_unlocode', key: 'to', render: (code?: string) => place(code) },
          {
            title: t('booking.departure'),
            dataIndex: 'planned_departure',
            key: 'dep',
            render: (value?: dayjs.Dayjs | null) => (value ? value.format('YYYY-MM-DD HH:mm') : t('common.empty')),
          },
          {
            title: t('booking.arrival'),
            dataIndex: 'planned_arrival',
            key: 'arr',
            render: (value?: dayjs.Dayjs | null) => (value ? value.format('YYYY-MM-DD HH:mm') : t('common.empty')),
          },
        ]}
      />
      <Typography.Text>
        {t('booking.reviewCargo', {
          lines: lines.length,
          packages: lines.reduce((sum, line) => sum + (line.packages ?? 0), 0),
          weight: lines.reduce((sum, line) => sum + (line.gross_weight_kg ?? 0), 0).toLocaleString(),
        })}
        {' · '}
        {t('booking.reviewContainers', { count: equipment.length })}
        {equipment.length > 0 ? `: ${equipment.map((item) => item.container_number?.toUpperCase()).join(', ')}` : ''}
      </Typography.Text>
      <Form.Item name="remarks" label={t('booking.remarks')} rules={[{ max: 2000 }]}>
        <Input.TextArea autoSize={{ minRows: 2, maxRows: 6 }} />
      </Form.Item>
    </Space>
  );
}

/** The shipper's booking wizard: parties, route of legs, cargo with dangerous goods, containers, review. */
export function BookingPage() {
  const { t } = useTranslation();
  const api = useApi();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const { message } = App.useApp();
  const { timeZone } = useTimeZone();
  const [form] = Form.useForm<BookingForm>();
  const [step, setStep] = useState(0);
  const [general, setGeneral] = useState<string[]>([]);
  const [submitting, setSubmitting] = useState<'draft' | 'book' | null>(null);
  const places = useRef(new Map<string, Location>());
  const [, setPlacesVersion] = useState(0);

  const carriers = useQuery({
    queryKey: moreKeys.organisations('carrier'),
    queryFn: ({ signal }) => fetchOrganisations(api, 'carrier', signal),
    staleTime: 10 * 60_000,
  });

  const onPlace = useCallback((location: Location) => {
    if (places.current.get(location.unlocode) === location) return;
    places.current.set(location.unlocode, location);
    setPlacesVersion((version) => version + 1);
  }, []);

  const steps = [t('booking.steps.parties'), t('booking.steps.route'), t('booking.steps.cargo'), t('booking.steps.containers'), t('booking.steps.review')];

  const validateStep = async (index: number): Promise<boolean> => {
    try {
      await form.validateFields(
        (STEP_FIELDS[index] ?? []).map((name) => [name]),
        { recursive: true },
      );
      return true;
    } catch {
      return false;
    }
  };

  const goTo = async (target: number) => {
    if (target > step) {
      for (let index = step; index < target; index += 1) {
        if (!(await validateStep(index))) {
          setStep(index);
          return;
        }
      }
    }
    setStep(target);
    window.scrollTo?.({ top: 0 });
  };

  const submit = async (book: boolean) => {
    setGeneral([]);
    for (let index = 0; index < steps.length; index += 1) {
      if (!(await validateStep(index))) {
        setStep(index);
        return;
      }
    }
    setSubmitting(book ? 'book' : 'draft');
    try {
      const input = toWaybillInput(form.getFieldsValue(true) as BookingForm, timeZone, book);
      const created = await createWaybill(api, input);
      await queryClient.invalidateQueries({ queryKey: ['waybills'] });
      void message.success(book ? t('booking.booked', { number: created.number }) : t('booking.saved', { number: created.number }));
      void navigate(`/waybills/${encodeURIComponent(created.number)}`);
    } catch (error) {
      if (isApiError(error) && error.errors.length > 0) {
        const placed = placeFieldErrors(error.errors, hasField, ['vehicle']);
        form.setFields(placed.fields.map((field) => ({ name: field.name as never, errors: field.errors })));
        setGeneral(placed.general);
        const first = placed.fields[0];
        if (first) setStep(stepOfPath(first.name));
      } else if (isApiError(error)) {
        setGeneral([error.code === 'network_error' ? t('common.networkError') : error.detail || error.title]);
      } else {
        setGeneral([error instanceof Error ? error.message : String(error)]);
      }
    } finally {
      setSubmitting(null);
    }
  };

  const onValuesChange = (changed: Partial<BookingForm>) => {
    // A leg's destination is where the next leg starts: carry it over.
    const changedLegs = changed.legs;
    if (!changedLegs) return;
    const legs = (form.getFieldValue('legs') as LegForm[] | undefined) ?? [];
    changedLegs.forEach((leg, index) => {
      if (leg && 'to_unlocode' in leg && legs[index + 1]) {
        form.setFieldValue(['legs', index + 1, 'from_unlocode'], leg.to_unlocode);
        void form.validateFields([['legs', index + 1, 'from_unlocode']]).catch(() => undefined);
      }
    });
  };

  const carrierList = Array.isArray(carriers.data) ? carriers.data : [];
  const last = step === steps.length - 1;

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }} className="booking-page">
      <Typography.Title level={3} style={{ margin: 0 }}>
        {t('booking.title')}
      </Typography.Title>
      <Card>
        <Steps
          current={step}
          size="small"
          responsive
          onChange={(target) => void goTo(target)}
          items={steps.map((title) => ({ title }))}
          className="booking-steps"
        />
      </Card>
      {general.length > 0 ? (
        <Alert
          type="error"
          showIcon
          role="alert"
          title={t('booking.rejected')}
          description={
            <ul className="plain-list">
              {general.map((line) => (
                <li key={line}>{line}</li>
              ))}
            </ul>
          }
        />
      ) : null}
      <Form<BookingForm>
        form={form}
        layout="vertical"
        initialValues={initialValues()}
        onValuesChange={onValuesChange}
        requiredMark
        scrollToFirstError
      >
        <Card title={steps[step]}>
          <div hidden={step !== 0}>
            <PartiesStep />
          </div>
          <div hidden={step !== 1}>
            <RouteStep form={form} carriers={carrierList} onPlace={onPlace} />
          </div>
          <div hidden={step !== 2}>
            <CargoStep form={form} />
          </div>
          <div hidden={step !== 3}>
            <EquipmentStep />
          </div>
          <div hidden={step !== 4}>
            <ReviewStep form={form} carriers={carrierList} places={places.current} />
          </div>
        </Card>
        <div className="wizard-actions">
          <Button disabled={step === 0} onClick={() => void goTo(step - 1)}>
            {t('booking.previous')}
          </Button>
          <Space wrap>
            {last ? (
              <>
                <Button onClick={() => void submit(false)} loading={submitting === 'draft'} disabled={submitting !== null}>
                  {t('booking.saveDraft')}
                </Button>
                <Button type="primary" onClick={() => void submit(true)} loading={submitting === 'book'} disabled={submitting !== null}>
                  {t('booking.book')}
                </Button>
              </>
            ) : (
              <Button type="primary" onClick={() => void goTo(step + 1)}>
                {t('booking.next')}
              </Button>
            )}
          </Space>
        </div>
      </Form>
    </Space>
  );
}
