import { useCallback } from 'react';
import { useTranslation } from 'react-i18next';
import type { Location, PlaceRef } from '../api/models';

/** A place's name in the current language (name_zh in Chinese when known) with its UN/LOCODE. */
export function placeName(place: (PlaceRef & Partial<Pick<Location, 'name_zh'>>) | null | undefined, language: string): string {
  if (!place) return '';
  const name = language.startsWith('zh') && place.name_zh ? place.name_zh : place.name;
  return name ? `${name} (${place.unlocode})` : place.unlocode;
}

/** placeName bound to the current language. */
export function usePlaceName(): (place: (PlaceRef & Partial<Pick<Location, 'name_zh'>>) | null | undefined) => string {
  const { i18n } = useTranslation();
  const language = i18n.language;
  return useCallback((place) => placeName(place, language), [language]);
}
