#include <stdio.h>
#include "core/init.h"
int main(void) { sg_init(); puts("steelgrad " SG_VERSION); return 0; }
