import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { WAYBILL_STATUSES } from '../api/models';
import { renderWithApp } from '../test/render';
import { STATUS_COLORS, statusColor } from './status';
import { StatusTag } from './StatusTag';

describe('waybill status tags', () => {
  it('gives every status its own colour', () => {
    expect(STATUS_COLORS).toEqual({
      draft: 'default',
      booked: 'blue',
      in_transit: 'processing',
      delivered: 'success',
      closed: 'purple',
      cancelled: 'error',
    });
    const colours = WAYBILL_STATUSES.map(statusColor);
    expect(new Set(colours).size).toBe(WAYBILL_STATUSES.length);
  });

  it('shows an unknown status neutral rather than failing', () => {
    expect(statusColor('on_hold')).toBe('default');
  });

  it('renders the translated label with the status colour', () => {
    renderWithApp(
      <>
        <StatusTag status="in_transit" />
        <StatusTag status="cancelled" />
        <StatusTag status="on_hold" />
      </>,
    );
    expect(screen.getByText('运输中')).toHaveClass('ant-tag-processing');
    expect(screen.getByText('已取消')).toHaveClass('ant-tag-error');
    expect(screen.getByText('on_hold')).toBeInTheDocument();
  });

  it('follows the language', () => {
    renderWithApp(<StatusTag status="delivered" />, { language: 'en' });
    expect(screen.getByText('Delivered')).toHaveClass('ant-tag-success');
  });
});
