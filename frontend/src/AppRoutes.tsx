import { Spin } from 'antd';
import { lazy, Suspense } from 'react';
import { Navigate, Route, Routes } from 'react-router';
import { RequireAuth, RequireRole } from './auth/RequireAuth';
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

const BookingPage = lazy(() => import('./pages/BookingPage').then((module) => ({ default: module.BookingPage })));
const PartnerConsolePage = lazy(() =>
  import('./pages/PartnerConsolePage').then((module) => ({ default: module.PartnerConsolePage })),
);

const GateDeskPage = lazy(() => import('./pages/GateDeskPage').then((module) => ({ default: module.GateDeskPage })));
const LaneScreenPage = lazy(() => import('./pages/LaneScreenPage').then((module) => ({ default: module.LaneScreenPage })));
const AppointmentsPage = lazy(() => import('./pages/AppointmentsPage').then((module) => ({ default: module.AppointmentsPage })));
const FinanceDeskPage = lazy(() => import('./pages/FinanceDeskPage').then((module) => ({ default: module.FinanceDeskPage })));

const GATE_ROLES = ['gate_operator', 'port_operator', 'admin'] as const;
const FINANCE_ROLES = ['finance', 'admin'] as const;

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
          <Route
            path="/gate/lane"
            element={
              <RequireRole roles={GATE_ROLES}>
                <LaneScreenPage />
              </RequireRole>
            }
          />
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
              path="/waybills/new"
              element={
                <RequireRole roles={['shipper', 'admin']}>
                  <Suspense fallback={<PageLoading />}>
                    <BookingPage />
                  </Suspense>
                </RequireRole>
              }
            />
            <Route
              path="/gate"
              element={
                <RequireRole roles={GATE_ROLES}>
                  <Suspense fallback={<PageLoading />}>
                    <GateDeskPage />
                  </Suspense>
                </RequireRole>
              }
            />
            <Route
              path="/appointments"
              element={
                <RequireRole roles={['dispatcher', 'admin']}>
                  <Suspense fallback={<PageLoading />}>
                    <AppointmentsPage />
                  </Suspense>
                </RequireRole>
              }
            />
            <Route
              path="/finance"
              element={
                <RequireRole roles={FINANCE_ROLES}>
                  <Suspense fallback={<PageLoading />}>
                    <FinanceDeskPage />
                  </Suspense>
                </RequireRole>
              }
            />
            <Route
              path="/partner"
              element={
                <RequireRole roles={['partner_admin', 'admin']}>
                  <Suspense fallback={<PageLoading />}>
                    <PartnerConsolePage />
                  </Suspense>
                </RequireRole>
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
