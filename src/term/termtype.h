/* The character set a terminal type implies, for every transport that is told one
 * (telnet's TERMINAL-TYPE, SSH's pty request).  Pure: names in, a charset out.
 *
 * names[0..n) are the terminal types in the order the client gave them (any case).
 *  - An MTTS bit field ("MTTS 137") decides first: bit 4 (UTF-8) set -> UTF-8,
 *    else CP437 (a terminal without UTF-8 keeps its columns with one-byte glyphs).
 *  - Otherwise the first name that tells:
 *    CP437, BBS clients: ansi, ansi-*, ansi.sys, pc-ansi, pcansi, scoansi, syncterm,
 *      netrunner, cp437, ibmpc, ibm-pc, qodem, ftelnet, mtelnet;
 *    UTF-8, modern terminals: xterm*, rxvt*, screen*, tmux*, linux, putty*,
 *      alacritty, kitty, wezterm, foot*, st, st-*, konsole*, gnome*, vte*, iterm*,
 *      eterm*, mintty, mlterm*, contour, ghostty, cygwin, utf8, utf-8.
 *    vt100/vt102/vt220/vt320, dumb, unknown and anything else do not tell (a real
 *    VT shows neither; emulators that say "vt100" are of every kind).
 *  - Nothing tells: CHARSET_UNKNOWN.  Telnet then asks the caller; SSH takes
 *    UTF-8 (an SSH client is a modern terminal unless it says otherwise). */
#ifndef CARRIER_TERM_TERMTYPE_H
#define CARRIER_TERM_TERMTYPE_H

#include <stddef.h>

#include "util/charset.h"

enum charset term_charset_for_types(const char *const *names, size_t n);

#endif
