// The updates test of hnswlib (tests/cpp/updates_test.cpp) against this library's hnswlib
// API: every label is added, then re-added with new vectors in further passes (updates
// in place), from several threads; the final vectors must be searched as well as in an
// index built from them alone. Passes when recall@K > 0.99 needs an ef no more than 1.5
// times the ef that the index without updates needs.
//
//   updates [--n 10000] [--dim 8] [--k 5] [--nq 1000] [--passes 3] [--threads T]
//   updates --data DIR     hnswlib's data files from tests/cpp/update_gen_data.py
//                          (config.txt, batch_dummy_NN.bin, batch_final.bin, queries.bin, gt.bin)
#include <hnswlib/hnswlib.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "parallel_for.h"

namespace {

[[noreturn]] void fail(const std::string& message) {
    std::fprintf(stderr, "updates: %s\n", message.c_str());
    std::exit(2);
}

template <class T>
std::vector<T> read_raw(const std::string& path, size_t n) {
    std::ifstream in(path, std::ios::binary);
    std::vector<T> v(n);
    if (!in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(n * sizeof(T)))) {
        fail("cannot read " + std::to_string(n) + " values from " + path);
    }
    return v;
}

/// Unit vectors with normally distributed directions.
std::vector<float> normalized(size_t n, size_t dim, std::mt19937& rng) {
    std::normal_distribution<float> g;
    std::vector<float> v(n * dim);
    for (size_t i = 0; i < n; ++i) {
        float norm = 0;
        for (size_t j = 0; j < dim; ++j) norm += (v[i * dim + j] = g(rng)) * v[i * dim + j];
        norm = std::sqrt(norm);
        for (size_t j = 0; j < dim; ++j) v[i * dim + j] /= norm;
    }
    return v;
}

/// The smallest ef at which recall@k exceeds 0.99, or 0 if none up to 1000.
size_t min_ef(hnswlib::HierarchicalNSW<float>& index, const std::vector<float>& queries, size_t dim, size_t k,
              const std::vector<std::unordered_set<hnswlib::labeltype>>& answers) {
    size_t nq = answers.size();
    for (size_t ef = 1; ef <= 1000; ef += ef < 30 ? 1 : 10) {
        index.setEf(ef);
        index.metric_hops = 0;
        index.metric_distance_computations = 0;
        size_t correct = 0;
        for (size_t q = 0; q < nq; ++q) {
            auto result = index.searchKnn(queries.data() + q * dim, k);
            for (; !result.empty(); result.pop()) correct += answers[q].count(result.top().second);
        }
        double recall = static_cast<double>(correct) / (nq * k);
        if (recall > 0.99) {
            std::printf("  recall %.4f at ef %zu (%.1f hops, %.1f distances per query)\n", recall, ef,
                        index.metric_hops / (1.0 * nq), index.metric_distance_computations / (1.0 * nq));
            return ef;
        }
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    size_t n = 10000, dim = 8, k = 5, nq = 1000, passes = 3;
    size_t threads = std::max(1u, std::thread::hardware_concurrency());
    std::string data_dir;
    for (int i = 1; i < argc; ++i) {
        std::string o = argv[i];
        if (i + 1 >= argc) fail("usage: updates [--n N] [--dim D] [--k K] [--nq N] [--passes P] [--threads T] | --data DIR");
        std::string v = argv[++i];
        if (o == "--n") n = std::stoul(v);
        else if (o == "--dim") dim = std::stoul(v);
        else if (o == "--k") k = std::stoul(v);
        else if (o == "--nq") nq = std::stoul(v);
        else if (o == "--passes") passes = std::stoul(v);
        else if (o == "--threads") threads = std::stoul(v);
        else if (o == "--data") data_dir = v;
        else fail("unknown option " + o);
    }

    std::vector<std::vector<float>> dummies;
    std::vector<float> final_batch, queries;
    std::vector<std::unordered_set<hnswlib::labeltype>> answers;
    if (!data_dir.empty()) {
        std::ifstream config(data_dir + "/config.txt");
        if (!(config >> n >> passes >> nq >> dim >> k)) fail("cannot read " + data_dir + "/config.txt");
        for (size_t b = 0; b < passes; ++b) {
            char name[64];
            std::snprintf(name, sizeof name, "/batch_dummy_%02zu.bin", b);
            dummies.push_back(read_raw<float>(data_dir + name, n * dim));
        }
        final_batch = read_raw<float>(data_dir + "/batch_final.bin", n * dim);
        queries = read_raw<float>(data_dir + "/queries.bin", nq * dim);
        std::vector<int32_t> gt = read_raw<int32_t>(data_dir + "/gt.bin", nq * k);
        answers.resize(nq);
        for (size_t q = 0; q < nq; ++q) answers[q].insert(gt.begin() + q * k, gt.begin() + (q + 1) * k);
    } else {
        std::mt19937 rng(1);
        for (size_t b = 0; b < passes; ++b) dummies.push_back(normalized(n, dim, rng));
        final_batch = normalized(n, dim, rng);
        queries = normalized(nq, dim, rng);
        hnswlib::BruteForce exact(hnswlib::Space::l2(dim), n);
        std::vector<uint64_t> labels(n);
        for (size_t i = 0; i < n; ++i) labels[i] = i;
        exact.add_batch(final_batch, labels);
        for (const auto& row : exact.search_batch(queries, k)) {
            answers.emplace_back();
            for (const auto& nb : row) answers.back().insert(nb.label);
        }
    }
    std::printf("n=%zu dim=%zu k=%zu queries=%zu update passes=%zu threads=%zu\n", n, dim, k, nq, passes, threads);

    hnswlib::L2Space space(dim);
    hnswlib::HierarchicalNSW<float> plain(&space, n, 16, 200);
    parallel_for(0, n, threads, [&](size_t i) { plain.addPoint(final_batch.data() + i * dim, i); });
    std::printf("without updates:\n");
    size_t ef_plain = min_ef(plain, queries, dim, k, answers);

    hnswlib::HierarchicalNSW<float> updated(&space, n + 1, 16, 200);
    auto t0 = std::chrono::steady_clock::now();
    for (const auto& batch : dummies) {
        parallel_for(0, n, threads, [&](size_t i) { updated.addPoint(batch.data() + i * dim, i); });
    }
    parallel_for(0, n, threads, [&](size_t i) { updated.addPoint(final_batch.data() + i * dim, i); });
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("with %zu passes of updates (%.1f s):\n", passes, secs);
    if (updated.cur_element_count != n) fail("element count changed by updates");
    for (size_t l : {size_t(0), n / 2, n - 1}) {
        if (updated.getDataByLabel<float>(l) !=
            std::vector<float>(final_batch.begin() + l * dim, final_batch.begin() + (l + 1) * dim)) {
            fail("label " + std::to_string(l) + " does not hold its final vector");
        }
    }
    size_t ef_updated = min_ef(updated, queries, dim, k, answers);

    if (ef_plain == 0 || ef_updated == 0 || ef_updated > 1.5 * ef_plain) {
        std::fprintf(stderr, "FAILED: recall > 0.99 at ef %zu with updates, %zu without\n", ef_updated, ef_plain);
        return 1;
    }
    std::printf("passed: recall > 0.99 at ef %zu with updates, %zu without\n", ef_updated, ef_plain);
    return 0;
}
