// Fit the terminal to its container, never narrower than MIN_COLS: when the
// container is too narrow for MIN_COLS at the preferred font size, the font
// shrinks until MIN_COLS fit (this is how a phone gets a smaller font). If even
// MIN_FONT_PX is too wide, the terminal keeps MIN_COLS and the container
// scrolls sideways.

export const MIN_COLS = 80;
export const MIN_FONT_PX = 4;

function setFontSize(term, px)
{
	if (term.options.fontSize !== px)
		term.options.fontSize = px; // xterm re-measures the cell at once
}

// Returns the font size in use afterwards.
export function fitTerminal(term, fitAddon, preferredPx)
{
	let px = preferredPx;
	setFontSize(term, px);
	let dims = fitAddon.proposeDimensions();
	while (dims && dims.cols < MIN_COLS && px > MIN_FONT_PX) {
		// Cell width scales with the font size: aim straight for the size
		// that fits, in quarter pixels, and step down if rounding missed.
		let next = Math.floor((px * dims.cols) / MIN_COLS * 4) / 4;
		if (next >= px)
			next = px - 0.25;
		px = Math.max(MIN_FONT_PX, next);
		setFontSize(term, px);
		dims = fitAddon.proposeDimensions();
	}
	if (!dims || !Number.isFinite(dims.cols) || !Number.isFinite(dims.rows))
		return px; // not laid out yet (hidden, zero size)
	// Once the font had to shrink, use exactly MIN_COLS: the quarter-pixel
	// steps may leave room for a column or two that nothing is drawn for.
	const cols = px < preferredPx ? MIN_COLS : Math.max(MIN_COLS, dims.cols);
	const rows = Math.max(1, dims.rows);
	if (cols !== term.cols || rows !== term.rows)
		term.resize(cols, rows);
	return px;
}
