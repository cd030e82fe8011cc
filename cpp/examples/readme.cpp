// The C++ example of README.md (run by ctest as example_readme).
#include <hnswlib/hnswlib.h>

#include <cstdio>

int main() {
    // hnswlib's API, unchanged: the same program compiles against hnswlib's headers.
    int dim = 16, max_elements = 1000;
    hnswlib::L2Space space(dim);
    auto* alg_hnsw = new hnswlib::HierarchicalNSW<float>(&space, max_elements, 16, 200);
    std::mt19937 rng(47);
    std::uniform_real_distribution<float> u;
    std::vector<float> data(dim * max_elements);
    for (float& x : data) x = u(rng);
    for (int i = 0; i < max_elements; i++) alg_hnsw->addPoint(data.data() + i * dim, i);
    std::priority_queue<std::pair<float, hnswlib::labeltype>> result = alg_hnsw->searchKnn(data.data(), 3);
    std::printf("farthest of the 3: label %zu\n", result.top().second);
    alg_hnsw->saveIndex("readme.hnsw");
    delete alg_hnsw;
    hnswlib::HierarchicalNSW<float> loaded(&space, "readme.hnsw");

    // The C++ API: RAII, std::vector in and out, std::function filters, per-call ef,
    // batch adds on all cores with progress, serialisation to memory.
    hnswlib::Index index(hnswlib::Space::cosine(dim), hnswlib::IndexParams(max_elements));
    hnswlib::AddOptions add;
    add.progress = [](size_t done, size_t total) { return done <= total; };  // false cancels
    index.add_batch(data, {}, add);  // labels 0..999
    hnswlib::SearchOptions opts(50);  // ef 50 for this call
    opts.filter = [](uint64_t label) { return label % 2 == 0; };
    std::vector<float> query(data.begin(), data.begin() + dim);
    for (const hnswlib::Neighbor& n : index.search(query, 3, opts))
        std::printf("label %llu distance %.4f\n", static_cast<unsigned long long>(n.label), n.distance);
    std::vector<uint8_t> bytes = index.to_bytes();
    hnswlib::Index copy = hnswlib::Index::from_bytes(bytes, hnswlib::Space::cosine(dim));

    try {
        index.add(std::vector<float>(dim + 1), 5000);
    } catch (const std::runtime_error& e) {  // hnswlib::InvalidArgumentError
        std::printf("rejected: %s\n", e.what());
    }
    std::remove("readme.hnsw");
    return copy.size() == 1000 && loaded.getCurrentElementCount() == 1000 ? 0 : 1;
}
