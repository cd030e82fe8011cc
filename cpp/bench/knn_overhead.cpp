// Per-call cost of one k-NN search through the C++ layer against the same search through
// the C ABI, on the setup of the criterion benchmark benches/abi_overhead.rs (20,000
// vectors of dim 32, M=16, ef_construction=200, k=10, ef=10, 64 queries taken in turn).
// That benchmark measures the C ABI against the core; this program measures the C++
// layer against the C ABI on one index, loaded from one file for every variant.
//
//   knn_overhead [--rounds R] [--calls N]
//
// Each round times N calls of every variant, the variants interleaved; the report is
// the median per-call time over the rounds and its difference from the C ABI's. A
// second setup, 64 vectors of dim 4, makes the search itself so cheap that what is
// left is mostly the cost of the layers, less blurred by noise.
#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>

namespace {

const size_t kK = 10;

std::vector<float> data(size_t rows, size_t dim) {
    // The same xorshift sequence as benches/abi_overhead.rs.
    uint64_t s = 0x9E3779B97F4A7C15ull;
    std::vector<float> v(rows * dim);
    for (float& x : v) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        x = static_cast<float>(s >> 40) / static_cast<float>(1u << 24);
    }
    return v;
}

volatile uint64_t sink;

void measure(size_t rows_n, size_t dim, size_t rounds, size_t calls) {
    std::vector<float> rows = data(rows_n, dim);
    std::vector<const float*> queries;
    for (size_t i = 0; i < 64; ++i) queries.push_back(rows.data() + (i * 97 % rows_n) * dim);

    std::string path = "knn_overhead_index.bin";
    {
        hnswlib::Index build(hnswlib::Space::l2(dim), hnswlib::IndexParams(rows_n));
        build.add_batch(rows);
        build.save(path);
    }
    hnswlib::Index index = hnswlib::Index::load(path, hnswlib::Space::l2(dim));
    hnswlib::L2Space space(dim);
    hnswlib::HierarchicalNSW<float> compat(&space, path);
    std::remove(path.c_str());
    const hnsw_index* raw = index.handle();

    uint64_t labels[kK];
    float distances[kK];
    hnswlib::SearchOptions defaults;
    struct Variant {
        const char* name;
        std::function<void(const float*)> call;
        std::vector<double> ns;
    };
    std::vector<Variant> variants = {
        {"C ABI: hnsw_index_knn",
         [&](const float* q) {
             size_t found = 0;
             if (hnsw_index_knn(raw, q, kK, nullptr, labels, distances, kK, &found) != HNSW_OK) std::abort();
             sink = labels[0] + found;
         },
         {}},
        {"C++: Index::search_into (caller buffers)",
         [&](const float* q) { sink = index.search_into(q, kK, defaults, labels, distances) + labels[0]; },
         {}},
        {"C++: Index::search (std::vector result)", [&](const float* q) { sink = index.search(q, kK)[0].label; }, {}},
        {"C++: HierarchicalNSW::searchKnn (priority_queue)",
         [&](const float* q) { sink = compat.searchKnn(q, kK).top().second; },
         {}},
        {"C++: HierarchicalNSW::searchKnnCloserFirst",
         [&](const float* q) { sink = compat.searchKnnCloserFirst(q, kK)[0].second; },
         {}},
    };
    for (auto& v : variants) {  // warm-up
        for (size_t i = 0; i < calls / 4; ++i) v.call(queries[i % queries.size()]);
    }
    for (size_t r = 0; r < rounds; ++r) {
        for (auto& v : variants) {
            auto t0 = std::chrono::steady_clock::now();
            for (size_t i = 0; i < calls; ++i) v.call(queries[i % queries.size()]);
            double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
            v.ns.push_back(ns / calls);
        }
    }
    std::printf("k-NN per call, %zu vectors of dim %zu, k=%zu, ef=10, median of %zu rounds x %zu calls (%s)\n", rows_n,
                dim, kK, rounds, calls, hnswlib::simd_path().c_str());
    double base = 0;
    for (auto& v : variants) {
        std::sort(v.ns.begin(), v.ns.end());
        double median = v.ns[v.ns.size() / 2];
        if (base == 0) base = median;
        std::printf("  %-50s %9.1f ns   %+7.1f ns vs C ABI\n", v.name, median, median - base);
    }
}

}  // namespace

int main(int argc, char** argv) {
    size_t rounds = 15, calls = 20000;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string o = argv[i];
        if (o == "--rounds") rounds = std::stoul(argv[i + 1]);
        else if (o == "--calls") calls = std::stoul(argv[i + 1]);
    }
    measure(20000, 32, rounds, calls);  // benches/abi_overhead.rs's setup
    measure(64, 4, rounds, calls * 10);
    return 0;
}
