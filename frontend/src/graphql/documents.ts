import { gql } from './client';

/** What the GraphQL API calls the signed-in caller (used to check the connection). */
export const ME_QUERY = gql<
  { me: { name: string; role: string; organisation: { id: string; name: string } } },
  Record<string, never>
>(`query Me { me { name role organisation { id name } } }`);

/** One live position of a vehicle carrying a leg of the waybill, as the tracking push sends it. */
export interface LiveFixGql {
  waybillNumber: string;
  legSeq: number;
  mode: string;
  device: string;
  vehicle: string | null;
  fixTime: string;
  lat: number;
  lon: number;
  speedKmh: number | null;
  courseDeg: number | null;
}

/** Live positions of a waybill's vehicles (issue 3's `waybillTracking` subscription). */
export const WAYBILL_TRACKING_SUBSCRIPTION = gql<{ waybillTracking: LiveFixGql }, { number: string }>(
  `subscription WaybillTracking($number: String!) {
  waybillTracking(number: $number) {
    waybillNumber legSeq mode device vehicle fixTime lat lon speedKmh courseDeg
  }
}`,
);

/** Every document the app sends, for the test that checks them against openapi/schema.graphql. */
export const DOCUMENTS = { ME_QUERY, WAYBILL_TRACKING_SUBSCRIPTION } as const;
