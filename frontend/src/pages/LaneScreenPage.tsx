import { ArrowLeftOutlined, CameraOutlined, CheckCircleFilled, CloseCircleFilled, ExclamationCircleFilled } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { Button, Input, Modal, Select, Space, Spin, Typography, type InputRef } from 'antd';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useApi } from '../api/ApiContext';
import { fetchLanes, gateKeys, overrideScan, scanPass } from '../api/gates';
import type { GateTransaction, Lane } from '../api/models';
import { isApiError } from '../api/problem';
import { LanguageSwitch } from '../i18n/LanguageSwitch';
import { ProductMark } from '../layout/ProductMark';
import { GateSelect, useDeskGate } from './GateDeskPage';

const LANE_STORAGE_KEY = 'yidan.lane';
/** How long a result fills the screen when no next truck comes first. */
const RESULT_MS = 12_000;

type Outcome = { kind: 'result'; transaction: GateTransaction } | { kind: 'error'; message: string };

function CameraScanner({ open, onClose, onCode }: { open: boolean; onClose: () => void; onCode: (text: string) => void }) {
  const { t } = useTranslation();
  const video = useRef<HTMLVideoElement>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!open) return;
    let stop: (() => void) | undefined;
    let cancelled = false;
    setError(null);
    void import('@zxing/browser')
      .then(async ({ BrowserQRCodeReader }) => {
        if (cancelled || !video.current) return;
        const reader = new BrowserQRCodeReader();
        const controls = await reader.decodeFromVideoDevice(undefined, video.current, (result) => {
          if (result) {
            controls.stop();
            onCode(result.getText());
          }
        });
        stop = () => controls.stop();
        if (cancelled) stop();
      })
      .catch((failure: unknown) => setError(failure instanceof Error ? failure.message : String(failure)));
    return () => {
      cancelled = true;
      stop?.();
    };
  }, [open, onCode]);
  return (
    <Modal open={open} onCancel={onClose} footer={null} title={t('lane.camera')} destroyOnHidden>
      {error ? <Typography.Text type="danger">{t('lane.cameraFailed', { error })}</Typography.Text> : null}
      <video ref={video} className="lane-camera" muted playsInline aria-label={t('lane.camera')} />
    </Modal>
  );
}

function OverridePanel({ transaction, onDone, onHold }: { transaction: GateTransaction; onDone: (tx: GateTransaction) => void; onHold: () => void }) {
  const { t } = useTranslation();
  const api = useApi();
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState<'admit' | 'deny' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const decide = async (decision: 'admit' | 'deny') => {
    if (reason.trim().length < 5) {
      setError(t('lane.overrideReasonShort'));
      return;
    }
    setBusy(decision);
    setError(null);
    try {
      onDone(await overrideScan(api, transaction.id, decision, reason.trim()));
    } catch (failure) {
      setError(isApiError(failure) ? failure.detail || failure.title : String(failure));
    } finally {
      setBusy(null);
    }
  };
  return (
    <div className="lane-override" onClick={(event) => event.stopPropagation()}>
      <Input
        aria-label={t('lane.overrideReason')}
        placeholder={t('lane.overrideReason')}
        value={reason}
        onFocus={onHold}
        onChange={(event) => setReason(event.target.value)}
        size="large"
      />
      <Space wrap>
        <Button size="large" onClick={() => void decide('admit')} loading={busy === 'admit'}>
          {t('lane.overrideAdmit')}
        </Button>
        <Button size="large" danger onClick={() => void decide('deny')} loading={busy === 'deny'}>
          {t('lane.overrideDeny')}
        </Button>
      </Space>
      {error ? <div className="lane-override__error">{error}</div> : null}
    </div>
  );
}

function ResultScreen({
  outcome,
  onDismiss,
  onOverride,
  onHold,
}: {
  outcome: Outcome;
  onDismiss: () => void;
  onOverride: (tx: GateTransaction) => void;
  onHold: () => void;
}) {
  const { t, i18n } = useTranslation();
  const zh = i18n.language.startsWith('zh');
  if (outcome.kind === 'error') {
    return (
      <div className="lane-result lane-result--deny" role="alert" onClick={onDismiss}>
        <CloseCircleFilled className="lane-result__icon" />
        <div className="lane-result__verdict">{t('lane.error')}</div>
        <div className="lane-result__reasons">{outcome.message}</div>
        <div className="lane-result__hint">{t('lane.next')}</div>
      </div>
    );
  }
  const { transaction: tx } = outcome;
  const result = tx.result;
  const Icon = result === 'admit' ? CheckCircleFilled : result === 'deny' ? CloseCircleFilled : ExclamationCircleFilled;
  return (
    <div className={`lane-result lane-result--${result}`} role="alert" aria-live="assertive" data-result={result} onClick={onDismiss}>
      <Icon className="lane-result__icon" />
      <div className="lane-result__verdict">{t(`lane.results.${result}`)}</div>
      <div className="lane-result__facts">
        <span className="plate">{tx.plate_read}</span>
        {tx.container_read ? <span className="mono">{tx.container_read}</span> : null}
        {tx.appointment_reference ? <span className="mono">{tx.appointment_reference}</span> : null}
        <span>
          {t('lane.laneLabel', { lane: tx.lane })} · {t(`lane.directions.${tx.direction}`)}
        </span>
      </div>
      {tx.reasons.length > 0 ? (
        <ul className="lane-result__reasons">
          {tx.reasons.map((reason) => (
            <li key={reason.code} data-code={reason.code} className={`reason reason--${reason.severity}`}>
              {zh ? reason.zh : reason.en}
            </li>
          ))}
        </ul>
      ) : null}
      {tx.override_of ? <div className="lane-result__hint">{t('lane.overridden', { reason: tx.override_reason ?? '' })}</div> : null}
      {result !== 'admit' && !tx.override_of ? <OverridePanel transaction={tx} onDone={onOverride} onHold={onHold} /> : null}
      <div className="lane-result__hint">{t('lane.next')}</div>
    </div>
  );
}

/**
 * The lane screen, built for speed: a hardware scanner types the pass token into the focused field
 * (keyboard wedge) and presses Enter, or the camera reads the QR code; the answer fills the screen —
 * admit green, deny red with its reasons, manual inspection amber — and the field is ready for the
 * next truck without a click.
 */
export function LaneScreenPage() {
  const { t } = useTranslation();
  const api = useApi();
  const { gate, setGate, gates } = useDeskGate();
  const lanes = useQuery({ queryKey: gateKeys.lanes(gate ?? ''), queryFn: ({ signal }) => fetchLanes(api, gate!, signal), enabled: Boolean(gate) });
  const laneList: Lane[] = Array.isArray(lanes.data) ? [...lanes.data].sort((a, b) => a.code.localeCompare(b.code, undefined, { numeric: true })) : [];
  const [laneCode, setLaneCode] = useState<string | undefined>(() => {
    try {
      return window.localStorage.getItem(LANE_STORAGE_KEY) ?? undefined;
    } catch {
      return undefined;
    }
  });
  const lane = laneList.find((candidate) => candidate.code === laneCode) ?? laneList.find((candidate) => candidate.is_open);
  const [direction, setDirection] = useState<'in' | 'out'>('in');
  const effectiveDirection: 'in' | 'out' = lane && lane.direction !== 'both' ? lane.direction : direction;

  const [token, setToken] = useState('');
  const [plate, setPlate] = useState('');
  const [container, setContainer] = useState('');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [camera, setCamera] = useState(false);
  const tokenInput = useRef<InputRef>(null);
  const plateInput = useRef<InputRef>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  // After a dropdown closes it takes the focus back for itself: the delay lets it, then takes it over.
  const focusScan = useCallback((delay = 0) => {
    window.setTimeout(() => tokenInput.current?.focus(), delay);
  }, []);

  useEffect(() => {
    focusScan();
    return () => clearTimeout(timer.current);
  }, [focusScan]);

  const submit = async (scanned: string) => {
    const text = scanned.trim();
    if (!text || busy) return;
    if (!gate || !lane) {
      setOutcome({ kind: 'error', message: t('lane.chooseLane') });
      return;
    }
    if (!plate.trim()) {
      // The plate as the lane camera read it is part of the check: ask for it, keep the token.
      plateInput.current?.focus();
      return;
    }
    setBusy(true);
    try {
      const transaction = await scanPass(api, gate, {
        token: text,
        plate: plate.trim(),
        container: container.trim() || null,
        lane: lane.code,
        direction: effectiveDirection,
      });
      setOutcome({ kind: 'result', transaction });
    } catch (error) {
      setOutcome({
        kind: 'error',
        message: isApiError(error) ? (error.code === 'network_error' ? t('common.networkError') : error.detail || error.title) : String(error),
      });
    } finally {
      setBusy(false);
      setToken('');
      setPlate('');
      setContainer('');
      clearTimeout(timer.current);
      timer.current = setTimeout(() => setOutcome(null), RESULT_MS);
      focusScan();
    }
  };

  const onCameraCode = useCallback(
    (text: string) => {
      setCamera(false);
      setToken(text);
      focusScan();
    },
    [focusScan],
  );

  return (
    <div className="lane-screen">
      <header className="lane-screen__bar">
        <Space size="middle" wrap>
          <Link to={`/gate${gate ? `?gate=${encodeURIComponent(gate)}` : ''}`} aria-label={t('lane.back')}>
            <ArrowLeftOutlined />
          </Link>
          <ProductMark size={24} />
          <Typography.Text strong>{t('lane.title')}</Typography.Text>
          <GateSelect gate={gate} gates={gates} onChange={setGate} />
          <Select
            aria-label={t('lane.lane')}
            value={lane?.code}
            style={{ minWidth: 150 }}
            onChange={(code: string) => {
              setLaneCode(code);
              try {
                window.localStorage.setItem(LANE_STORAGE_KEY, code);
              } catch {
                // not remembered
              }
              focusScan(150);
            }}
            options={laneList.map((candidate) => ({
              value: candidate.code,
              disabled: !candidate.is_open,
              label: `${t('lane.laneLabel', { lane: candidate.code })} · ${t(`lane.directions.${candidate.direction}`)}`,
            }))}
          />
          {lane?.direction === 'both' ? (
            <Select
              aria-label={t('lane.direction')}
              value={direction}
              onChange={(value: 'in' | 'out') => {
                setDirection(value);
                focusScan(150);
              }}
              options={(['in', 'out'] as const).map((value) => ({ value, label: t(`lane.directions.${value}`) }))}
            />
          ) : null}
        </Space>
        <LanguageSwitch size="small" />
      </header>
      <main className="lane-screen__main">
        <form
          className="lane-form"
          onSubmit={(event) => {
            event.preventDefault();
            void submit(token);
          }}
        >
          <label className="lane-form__label" htmlFor="lane-plate">
            {t('lane.plate')}
          </label>
          <Input
            id="lane-plate"
            ref={plateInput}
            size="large"
            className="lane-form__plate"
            value={plate}
            onChange={(event) => setPlate(event.target.value.toUpperCase())}
            onPressEnter={(event) => {
              event.preventDefault();
              if (token.trim()) void submit(token);
              else focusScan();
            }}
            placeholder="浙B12345"
            autoComplete="off"
          />
          <label className="lane-form__label" htmlFor="lane-container">
            {t('lane.container')}
          </label>
          <Input
            id="lane-container"
            size="large"
            className="mono"
            value={container}
            onChange={(event) => setContainer(event.target.value.toUpperCase())}
            onPressEnter={(event) => {
              event.preventDefault();
              focusScan();
            }}
            autoComplete="off"
          />
          <label className="lane-form__label" htmlFor="lane-token">
            {t('lane.scan')}
          </label>
          <Space.Compact style={{ width: '100%' }}>
            <Input
              id="lane-token"
              ref={tokenInput}
              size="large"
              className="lane-form__token mono"
              value={token}
              onChange={(event) => {
                setToken(event.target.value);
                if (outcome) setOutcome(null);
              }}
              placeholder={t('lane.scanPlaceholder')}
              autoComplete="off"
              spellCheck={false}
              aria-describedby="lane-help"
            />
            <Button size="large" type="primary" htmlType="submit" loading={busy}>
              {t('lane.check')}
            </Button>
            <Button size="large" icon={<CameraOutlined />} onClick={() => setCamera(true)} aria-label={t('lane.camera')} />
          </Space.Compact>
          <Typography.Text id="lane-help" type="secondary">
            {t('lane.help')}
          </Typography.Text>
          {busy ? <Spin /> : null}
        </form>
      </main>
      {outcome ? (
        <ResultScreen
          outcome={outcome}
          onDismiss={() => {
            setOutcome(null);
            focusScan();
          }}
          onHold={() => clearTimeout(timer.current)}
          onOverride={(transaction) => {
            setOutcome({ kind: 'result', transaction });
            clearTimeout(timer.current);
            timer.current = setTimeout(() => setOutcome(null), RESULT_MS);
            focusScan();
          }}
        />
      ) : null}
      <CameraScanner open={camera} onClose={() => setCamera(false)} onCode={onCameraCode} />
    </div>
  );
}
