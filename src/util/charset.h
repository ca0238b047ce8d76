/* The character set a terminal speaks.  One enum for the whole program: the telnet
 * negotiation decides it, a connection's transport reports and changes it, and the
 * account remembers a caller's choice (the values are stored in the database:
 * never renumber them). */
#ifndef CARRIER_UTIL_CHARSET_H
#define CARRIER_UTIL_CHARSET_H

enum charset {
	CHARSET_UNKNOWN = 0,    /* not decided yet, not stored, or not the transport's say */
	CHARSET_UTF8 = 1,
	CHARSET_CP437 = 2,
};

#endif
