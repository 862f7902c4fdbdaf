// Debian's libtree-sitter-dev (0.20.x) installs the runtime API here.
#include <tree_sitter/api.h>
