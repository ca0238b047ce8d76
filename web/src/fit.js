// Fit the terminal to its container, never narrower than MIN_COLS: when the
// container is too narrow for MIN_COLS at the preferred font size, the font
// shrinks until MIN_COLS fit (this is how a phone gets a smaller font). If even
// the smallest cell is too wide, the terminal keeps MIN_COLS and the container
// scrolls sideways.
//
// Font sizes are chosen so that a cell is a whole number of device pixels
// wide. With a fractional width (DejaVu Sans Mono at 16px is 9.63px) the
// browser antialiases every cell edge, and rows of block characters, the
// stuff of ANSI art, show thin seams between cells.

export const MIN_COLS = 80;
export const MIN_CELL_DEVICE_PX = 3;

// Returns fontPx(cellDevicePx, dpr), with fontPx.advance the character width
// in ems: the smallest font size at which one
// character of fontFamily is cellDevicePx device pixels wide, as the browser
// lays it out (its text sizes are quantised, so this is measured, not
// computed). Uses the same measure as xterm: a run of 'W's in a hidden span.
export function cellSizer(fontFamily, doc = document)
{
	const span = doc.createElement('span');
	span.style.cssText = 'position:absolute;top:0;left:-9999px;visibility:hidden;' +
		'white-space:pre;font-kerning:none;line-height:normal';
	span.style.fontFamily = fontFamily;
	span.textContent = 'W'.repeat(32);
	doc.body.appendChild(span);
	const widthAt = (px) => {
		span.style.fontSize = `${px}px`;
		return span.getBoundingClientRect().width / 32;
	};
	const advance = widthAt(100) / 100 || 0.6; // ems per character
	const cache = new Map();
	const fontPx = (cell, dpr) => {
		const key = `${cell}@${dpr}`;
		if (cache.has(key))
			return cache.get(key);
		// Bisect for the smallest size whose width reaches the target.
		const target = cell / dpr;
		let lo = (target / advance) * 0.97;
		let hi = (target / advance) * 1.03;
		for (let i = 0; i < 14; i++) {
			const mid = (lo + hi) / 2;
			if (widthAt(mid) >= target - 1e-4)
				hi = mid;
			else
				lo = mid;
		}
		const px = Math.round(hi * 1000) / 1000;
		cache.set(key, px);
		return px;
	};
	fontPx.advance = advance;
	return fontPx;
}

function setFontSize(term, px)
{
	if (term.options.fontSize !== px)
		term.options.fontSize = px; // xterm re-measures the cell at once
}

// fontPx: from cellSizer(); preferredCell: the cell width wanted, in device
// pixels; dpr: window.devicePixelRatio. Returns the font size in use afterwards.
export function fitTerminal(term, fitAddon, fontPx, preferredCell, dpr = 1)
{
	const sizeFor = (cellDev) => fontPx(cellDev, dpr);
	let cell = preferredCell;
	setFontSize(term, sizeFor(cell));
	let dims = fitAddon.proposeDimensions();
	while (dims && dims.cols < MIN_COLS && cell > MIN_CELL_DEVICE_PX) {
		// Columns scale with 1/cell: aim straight for the cell that fits,
		// and step down by one if rounding missed.
		let next = Math.floor((cell * dims.cols) / MIN_COLS);
		if (next >= cell)
			next = cell - 1;
		cell = Math.max(MIN_CELL_DEVICE_PX, next);
		setFontSize(term, sizeFor(cell));
		dims = fitAddon.proposeDimensions();
	}
	// The jump above rounds down; take back any step that still fits.
	if (cell < preferredCell && dims && dims.cols >= MIN_COLS) {
		while (cell + 1 < preferredCell) {
			setFontSize(term, sizeFor(cell + 1));
			const bigger = fitAddon.proposeDimensions();
			if (!bigger || !(bigger.cols >= MIN_COLS))
				break;
			cell++;
			dims = bigger;
		}
		setFontSize(term, sizeFor(cell));
	}
	const px = sizeFor(cell);
	if (!dims || !Number.isFinite(dims.cols) || !Number.isFinite(dims.rows))
		return px; // not laid out yet (hidden, zero size)
	// Once the font had to shrink, use exactly MIN_COLS: the whole-pixel
	// steps may leave room for a column or two that nothing is drawn for.
	const cols = cell < preferredCell ? MIN_COLS : Math.max(MIN_COLS, dims.cols);
	const rows = Math.max(1, dims.rows);
	if (cols !== term.cols || rows !== term.rows)
		term.resize(cols, rows);
	return px;
}
