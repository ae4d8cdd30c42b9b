// How numbers read wherever a person sees them in the widget. Frames are 0-based, as
// the frame slider, the From / To fields, `annotator.frame`, `quality()`, napari and
// the exported files count them; one frame number means one frame everywhere.

/** @param {number} t a frame index @returns {string} */
export const frameNumber = (t) => String(t);

/** "3–9": the first and last frame of a run. @returns {string} */
export const frameSpan = (first, last) => `${frameNumber(first)}–${frameNumber(last)}`;

/** "frame 7 of 0–19": the frame in view and the frames there are. @returns {string} */
export const frameOf = (t, nFrames) => `frame ${frameNumber(t)} of ${frameSpan(0, Math.max(0, nFrames - 1))}`;

/** "1 frame", "2 frames". @returns {string} */
export const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
