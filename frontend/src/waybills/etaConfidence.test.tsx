import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { renderWithApp } from '../test/render';
import { confidencePercent, ETA_CONFIDENCE_COLORS, EtaConfidenceTag, etaConfidenceLevel } from './EtaConfidence';

describe('ETA confidence tags', () => {
  it('maps a confidence to high, medium or low at 0.7 and 0.4', () => {
    expect(etaConfidenceLevel(1)).toBe('high');
    expect(etaConfidenceLevel(0.7)).toBe('high');
    expect(etaConfidenceLevel(0.6999)).toBe('medium');
    expect(etaConfidenceLevel(0.4)).toBe('medium');
    expect(etaConfidenceLevel(0.3999)).toBe('low');
    expect(etaConfidenceLevel(0)).toBe('low');
  });

  it('colours the levels green, gold and red', () => {
    expect(ETA_CONFIDENCE_COLORS).toEqual({ high: 'green', medium: 'gold', low: 'red' });
  });

  it('shows the confidence as a whole percentage', () => {
    expect(confidencePercent(0.624)).toBe(62);
    expect(confidencePercent(1.2)).toBe(100);
    expect(confidencePercent(-0.1)).toBe(0);
  });

  it('renders the level and percentage in a tag', () => {
    renderWithApp(<EtaConfidenceTag confidence={0.35} />);
    const tag = screen.getByText(/35%/);
    expect(tag.closest('.eta-confidence--low')).not.toBeNull();
    expect(tag).toHaveTextContent('低 · 置信度 35%');
  });
});
