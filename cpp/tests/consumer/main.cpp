// Builds a small index through the hnswlib-compatible API and the C++ API; exits 0 when
// both find every vector as its own nearest neighbour.
#include <hnswlib/hnswlib.h>

#include <cstdio>

int main() {
    const size_t dim = 8, n = 200;
    std::vector<float> data(dim * n);
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(0, 1);
    for (float& x : data) x = u(rng);

    hnswlib::L2Space space(dim);
    hnswlib::HierarchicalNSW<float> compat(&space, n);
    hnswlib::Index modern(hnswlib::Space::l2(dim), hnswlib::IndexParams{n});
    for (size_t i = 0; i < n; ++i) {
        compat.addPoint(data.data() + i * dim, i);
        modern.add(data.data() + i * dim, i);
    }
    size_t ok = 0;
    for (size_t i = 0; i < n; ++i) {
        ok += compat.searchKnn(data.data() + i * dim, 1).top().second == i;
        ok += modern.search(data.data() + i * dim, 1).at(0).label == i;
    }
    std::printf("hnswlib-rs %s (%s): %zu of %zu found\n", hnswlib::version().c_str(),
                hnswlib::simd_path().c_str(), ok, 2 * n);
    return ok == 2 * n ? 0 : 1;
}
