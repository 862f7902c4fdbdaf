// Debian's libopenblas-dev: the pkg-config file points the include path at the pthread variant's cblas.h.
#include <cblas.h>
