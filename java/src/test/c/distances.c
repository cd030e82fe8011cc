/* Distance functions with hnswlib's DISTFUNC signature, for the native-function tests.
 * Built into a shared library by NativeDistanceTest with the system C compiler. */
#include <stddef.h>
#include <stdint.h>

/* Manhattan distance over dim floats; the dim is passed as the user_data value itself. */
float l1_distance(const void *a, const void *b, const void *user_data) {
    const float *x = (const float *)a;
    const float *y = (const float *)b;
    size_t dim = (size_t)(uintptr_t)user_data;
    float s = 0.0f;
    for (size_t i = 0; i < dim; i++) {
        float d = x[i] - y[i];
        s += d < 0 ? -d : d;
    }
    return s;
}
