/** A sail over a hull, drawn inline (no emoji font needed, nothing to load). */
export function Logo() {
  return (
    <svg class="logo" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
      <path d="M12 2 L12 16 L4 16 Z" fill="#8ab4f8" />
      <path d="M13 5 L13 16 L19 16 Z" fill="#c6dafc" />
      <path d="M3 18 H21 L18 22 H6 Z" fill="#f1f3f5" />
    </svg>
  );
}
