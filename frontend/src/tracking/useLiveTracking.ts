import { useQuery } from '@tanstack/react-query';
import { useEffect, useReducer, useState } from 'react';
import { useApi } from '../api/ApiContext';
import { fetchTrack, moreKeys } from '../api/endpoints';
import { isApiError } from '../api/problem';
import { useGraphQL } from '../graphql/GraphQLContext';
import { WAYBILL_TRACKING_SUBSCRIPTION } from '../graphql/documents';
import { applyFix, EMPTY_LIVE, parseLiveFix, stateFromTrack, type LiveFix, type LiveState } from './live';
import { readSse } from './sse';

/** unavailable: the server has no tracking API (planned route only); live: fixes are arriving. */
export type LiveStatus = 'loading' | 'unavailable' | 'connecting' | 'live' | 'reconnecting';

type Action = { type: 'reset'; state: LiveState } | { type: 'fix'; fix: LiveFix };

function reducer(state: LiveState, action: Action): LiveState {
  return action.type === 'reset' ? action.state : applyFix(state, action.fix);
}

const RETRY_MS = [1_000, 2_000, 5_000, 10_000, 30_000];

/**
 * The actual track and live vehicle positions of a waybill: the track from GET …/track, then fixes
 * pushed over SSE (GET …/live), or the GraphQL subscription `waybillTracking` when SSE is not served.
 * Without a tracking API (404) the status is `unavailable` and nothing is opened.
 */
export function useLiveTracking(number: string, enabled = true): { state: LiveState; status: LiveStatus; lastFixAt: string | null } {
  const api = useApi();
  const graphql = useGraphQL();
  const track = useQuery({
    queryKey: moreKeys.track(number),
    queryFn: ({ signal }) => fetchTrack(api, number, signal),
    enabled: enabled && number !== '',
    staleTime: Infinity,
    retry: false,
  });
  const [state, dispatch] = useReducer(reducer, EMPTY_LIVE);
  const [status, setStatus] = useState<LiveStatus>('loading');
  const [lastFixAt, setLastFixAt] = useState<string | null>(null);

  const trackData = track.data;
  const available = track.isSuccess && trackData !== null;

  useEffect(() => {
    if (track.isSuccess) dispatch({ type: 'reset', state: stateFromTrack(trackData) });
  }, [track.isSuccess, trackData]);

  useEffect(() => {
    if (track.isPending && enabled) {
      setStatus('loading');
      return;
    }
    if (!available) {
      setStatus('unavailable');
      return;
    }
    const controller = new AbortController();
    let stopGraphql: (() => void) | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let attempt = 0;

    const onFix = (raw: unknown) => {
      const fix = parseLiveFix(raw);
      if (!fix) return;
      attempt = 0;
      setStatus('live');
      setLastFixAt(fix.fixTime);
      dispatch({ type: 'fix', fix });
    };
    const retry = () => {
      if (controller.signal.aborted) return;
      setStatus('reconnecting');
      timer = setTimeout(connect, RETRY_MS[Math.min(attempt++, RETRY_MS.length - 1)]);
    };
    const viaGraphql = () => {
      stopGraphql = graphql.subscribe(WAYBILL_TRACKING_SUBSCRIPTION, { number }, {
        next: (data) => onFix(data.waybillTracking),
        error: () => {
          stopGraphql = null;
          retry();
        },
        complete: () => {
          stopGraphql = null;
          retry();
        },
      });
    };
    async function connect() {
      setStatus((current) => (current === 'live' ? current : 'connecting'));
      try {
        const response = await api.requestStream(`/waybills/${encodeURIComponent(number)}/live`, { signal: controller.signal });
        if (!response.body) throw new Error('no stream');
        setStatus('live');
        await readSse(response.body, (message) => {
          if (message.event === 'ping' || message.event === 'heartbeat') return;
          try {
            onFix(JSON.parse(message.data));
          } catch {
            // a malformed message is skipped, the stream goes on
          }
        });
        retry();
      } catch (error) {
        if (controller.signal.aborted) return;
        if (isApiError(error) && error.status === 404) viaGraphql();
        else retry();
      }
    }
    void connect();
    return () => {
      controller.abort();
      clearTimeout(timer);
      stopGraphql?.();
    };
  }, [api, graphql, number, available, enabled, track.isPending]);

  return { state, status, lastFixAt };
}
