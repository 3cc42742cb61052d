/* The fuzz build compiles stb_image and stb_image_write itself (instrumented, so libFuzzer is guided by stb's
   branches and AddressSanitizer watches its buffers) instead of linking Debian's libstb, from the same
   headers (libstb-dev). Its undefined-behaviour findings would be stb's own benign C idioms (shifts of
   negative values): only ASan checks it. */
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image.h>
#include <stb_image_write.h>
