// Kept for existing imports; the rule lives in core so every collector labels threads alike.
export { threadLabels } from '@vigil/core';
