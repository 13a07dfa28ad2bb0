/**
 * The till's scan beep (WebAudio, no sound file to cache): a short high tone when a scan found
 * its product, a longer low one when it found nothing, so a cashier looking at the customer
 * hears which without looking at the screen.
 */

let audio: AudioContext | null = null;

const TONES = {
  found: { hz: 1760, seconds: 0.07 },
  unknown: { hz: 220, seconds: 0.3 },
} as const;

export type BeepKind = keyof typeof TONES;

export function beep(kind: BeepKind): void {
  if (typeof AudioContext !== 'function') return;
  try {
    audio ??= new AudioContext();
    // A context made before the first key or tap starts suspended; a scan's keys are a gesture.
    if (audio.state === 'suspended') void audio.resume();
    const { hz, seconds } = TONES[kind];
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    oscillator.type = 'square';
    oscillator.frequency.value = hz;
    const start = audio.currentTime;
    gain.gain.setValueAtTime(0.06, start);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + seconds);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start(start);
    oscillator.stop(start + seconds);
  } catch {
    // No sound device: the highlighted line and the announcement still say what happened.
  }
}
