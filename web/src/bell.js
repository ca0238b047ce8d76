// The terminal bell: an 800 Hz tone through Web Audio plus a brief flash of
// the screen. Browsers only let a page make sound after a user gesture, so
// the AudioContext is created (or resumed) on the first key press or tap;
// before that the bell only flashes.

export const BELL_HZ = 800;
export const TONE_MS = 150;
export const FLASH_MS = 200;
// A burst of BELs (a caller paged ten times) rings once per this interval.
export const MIN_INTERVAL_MS = 120;

// flashEl gets the CSS class 'bell' for FLASH_MS on each ring.
export function createBell(flashEl, win = window)
{
	let ctx = null;
	let lastRing = -Infinity;
	let flashTimer = 0;
	let rings = 0;
	let tones = 0;

	const gestures = ['pointerdown', 'keydown', 'touchend'];
	function unlock()
	{
		try {
			const AC = win.AudioContext || win.webkitAudioContext;
			if (!AC)
				return;
			if (ctx === null)
				ctx = new AC();
			if (ctx.state === 'suspended')
				ctx.resume();
			if (ctx.state === 'running')
				for (const g of gestures)
					win.removeEventListener(g, unlock, true);
		} catch {
			// No audio: the flash still works.
		}
	}
	for (const g of gestures)
		win.addEventListener(g, unlock, true);

	function tone()
	{
		if (ctx === null || ctx.state !== 'running')
			return false;
		const t = ctx.currentTime;
		const end = t + TONE_MS / 1000;
		const osc = ctx.createOscillator();
		const gain = ctx.createGain();
		osc.type = 'sine';
		osc.frequency.value = BELL_HZ;
		// A short attack and release: no click at either end.
		gain.gain.setValueAtTime(0, t);
		gain.gain.linearRampToValueAtTime(0.2, t + 0.01);
		gain.gain.setValueAtTime(0.2, end - 0.03);
		gain.gain.linearRampToValueAtTime(0, end);
		osc.connect(gain).connect(ctx.destination);
		osc.onended = () => gain.disconnect();
		osc.start(t);
		osc.stop(end);
		return true;
	}

	function flash()
	{
		clearTimeout(flashTimer);
		flashEl.classList.remove('bell');
		void flashEl.offsetWidth; // restart the CSS animation
		flashEl.classList.add('bell');
		flashTimer = setTimeout(() => flashEl.classList.remove('bell'), FLASH_MS);
	}

	function ring()
	{
		const now = win.performance.now();
		if (now - lastRing < MIN_INTERVAL_MS)
			return;
		lastRing = now;
		rings++;
		if (tone())
			tones++;
		flash();
	}

	return {
		ring,
		unlock,
		get rings() { return rings; },   // bells acted on (after throttling)
		get tones() { return tones; },   // of those, how many made a sound
		get audioState() { return ctx ? ctx.state : 'none'; },
	};
}
