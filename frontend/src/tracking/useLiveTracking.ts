import { useQuery } from '@tanstack/react-query';
import { useEffect, useReducer, useState } from 'react';
import { useApi } from '../api/ApiContext';
import { fetchTrack, moreKeys } from '../api/endpoints';
import { useGraphQL } from '../graphql/GraphQLContext';
import { applyFix, EMPTY_LIVE, parseLiveFix, stateFromTrack, type LiveFix, type LiveState } from './live';
import { startLiveConnection } from './liveConnection';

/** unavailable: the server has no tracking API (planned route only); live: fixes are arriving. */
export type LiveStatus = 'loading' | 'unavailable' | 'connecting' | 'live' | 'reconnecting';

type Action = { type: 'reset'; state: LiveState } | { type: 'fix'; fix: LiveFix };

function reducer(state: LiveState, action: Action): LiveState {
  return action.type === 'reset' ? action.state : applyFix(state, action.fix);
}

/**
 * The actual track and live vehicle positions of a waybill: the track from GET …/track, then fixes
 * pushed over SSE (GET …/live), or the GraphQL subscription `waybillTracking` when SSE is not served
 * (see startLiveConnection: a stream ended for an expired token is reopened at once with a fresh one).
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
    return startLiveConnection({
      api,
      graphql,
      number,
      onFix: (raw) => {
        const fix = parseLiveFix(raw);
        if (!fix) return false;
        setLastFixAt(fix.fixTime);
        dispatch({ type: 'fix', fix });
        return true;
      },
      onStatus: setStatus,
    });
  }, [api, graphql, number, available, enabled, track.isPending]);

  return { state, status, lastFixAt };
}
