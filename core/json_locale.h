/* core/json_locale.h - internal to core/json*.c: run number conversions in
 * the "C" locale (a '.' decimal point) whatever LC_NUMERIC the host set.
 * enter() switches this thread and returns the previous locale for leave(). */
#ifndef SG_JSON_LOCALE_H
#define SG_JSON_LOCALE_H

#include <locale.h>

locale_t sg_json_locale_enter(void);
void sg_json_locale_leave(locale_t old);

#endif
