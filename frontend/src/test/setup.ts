import '@testing-library/jest-dom/vitest';
import { cleanup, configure } from '@testing-library/react';
import { afterEach } from 'vitest';

// antd renders slowly under jsdom on small CI machines; give findBy/waitFor room.
configure({ asyncUtilTimeout: 5000 });

// Tests marked `@vitest-environment node` (contract checks) have no DOM to set up.
if (typeof window !== 'undefined') {
  // jsdom lacks the layout APIs antd asks for; these answer as a wide desktop screen would.
  if (!window.matchMedia) {
    Object.defineProperty(window, 'matchMedia', {
      writable: true,
      value: (query: string) => ({
        matches: false,
        media: query,
        onchange: null,
        addListener: () => undefined,
        removeListener: () => undefined,
        addEventListener: () => undefined,
        removeEventListener: () => undefined,
        dispatchEvent: () => false,
      }),
    });
  }

  if (!('ResizeObserver' in window)) {
    class ResizeObserverStub {
      observe() {}
      unobserve() {}
      disconnect() {}
    }
    Object.defineProperty(window, 'ResizeObserver', { writable: true, value: ResizeObserverStub });
  }

  // antd measures scrollbars through getComputedStyle with pseudo-elements, which jsdom does not implement.
  const { getComputedStyle } = window;
  window.getComputedStyle = (element: Element, pseudo?: string | null) => getComputedStyle(element, pseudo ? undefined : pseudo);
}

afterEach(() => {
  if (typeof window === 'undefined') return;
  cleanup();
  window.localStorage.clear();
});
