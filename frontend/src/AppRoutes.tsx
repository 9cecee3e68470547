import { Spin } from 'antd';
import { lazy, Suspense } from 'react';
import { Navigate, Route, Routes } from 'react-router';
import { RequireAuth } from './auth/RequireAuth';
import { AppLayout } from './layout/AppLayout';
import { LoginPage } from './pages/LoginPage';
import { NotFoundPage } from './pages/NotFoundPage';

// Pages load on first visit: the sign-in and the QR-code tracking page, often opened on a phone,
// do not wait for the tables and forms of the desks.
const TrackingPage = lazy(() => import('./pages/TrackingPage').then((module) => ({ default: module.TrackingPage })));
const WaybillListPage = lazy(() => import('./pages/WaybillListPage').then((module) => ({ default: module.WaybillListPage })));
const WaybillDetailPage = lazy(() =>
  import('./pages/WaybillDetailPage').then((module) => ({ default: module.WaybillDetailPage })),
);

function PageLoading() {
  return (
    <div className="page-loading">
      <Spin />
    </div>
  );
}

/** The app's routes; /login and /track/:number are public, the rest need a session. */
export function AppRoutes() {
  return (
    <Suspense fallback={<PageLoading />}>
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route path="/track/:number" element={<TrackingPage />} />
        <Route element={<RequireAuth />}>
          <Route element={<AppLayout />}>
            <Route index element={<Navigate to="/waybills" replace />} />
            <Route
              path="/waybills"
              element={
                <Suspense fallback={<PageLoading />}>
                  <WaybillListPage />
                </Suspense>
              }
            />
            <Route
              path="/waybills/:number"
              element={
                <Suspense fallback={<PageLoading />}>
                  <WaybillDetailPage />
                </Suspense>
              }
            />
            <Route path="*" element={<NotFoundPage />} />
          </Route>
        </Route>
      </Routes>
    </Suspense>
  );
}
