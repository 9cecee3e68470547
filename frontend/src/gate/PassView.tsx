import { CopyOutlined, PrinterOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { App, Button, Space, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/ApiContext';
import { fetchPassPdf, fetchPassQr } from '../api/gates';
import type { GatePass } from '../api/models';
import { openBlobInNewTab } from '../waybills/downloadBlob';

/** A gate pass as the driver gets it: the QR code, the text message with the link, copy and print. */
export function PassView({ pass, reference }: { pass: GatePass; reference: string }) {
  const { t } = useTranslation();
  const api = useApi();
  const { message } = App.useApp();
  const qr = useQuery({
    queryKey: ['gates', 'pass', pass.id, 'qr'],
    queryFn: async () => URL.createObjectURL(await fetchPassQr(api, pass.id)),
    staleTime: Infinity,
  });
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      {qr.data ? <img src={qr.data} alt={t('gate.qrAlt', { plate: pass.truck_plate })} className="pass-qr" /> : null}
      <Typography.Paragraph className="driver-message">{pass.driver_message}</Typography.Paragraph>
      <Space wrap>
        <Button
          icon={<CopyOutlined />}
          onClick={() =>
            void navigator.clipboard
              ?.writeText(pass.driver_message)
              .then(() => void message.success(t('partner.copied')), () => void message.error(t('partner.copyFailed')))
          }
        >
          {t('appointments.copyMessage')}
        </Button>
        <Button icon={<PrinterOutlined />} onClick={() => void openBlobInNewTab(() => fetchPassPdf(api, pass.id), `${reference}.pdf`)}>
          {t('gate.print')}
        </Button>
      </Space>
    </Space>
  );
}
