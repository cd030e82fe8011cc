// The SIFT test of hnswlib (tests/cpp/sift_1b.cpp) against this library's hnswlib API:
// u8 vectors of dim 128 in HierarchicalNSW<int> with L2SpaceI (integer squared L2), M=16,
// ef_construction=40, multi-threaded addPoint, then recall@1 and single-thread queries
// per second for ef from 1 to 320.
//
//   sift --base bigann_base.bvecs --queries bigann_query.bvecs --gt gnd/idx_1M.ivecs --subset-millions 1
//   sift --synthetic 100000 [--nq 1000] [--min-recall 0.95] [--threads T]
//
// .bvecs: per vector a little-endian int32 dimension, then that many bytes. .ivecs: per
// query an int32 count, then that many int32 ids, nearest first; the ground-truth file
// must belong to the subset (BigANN's gnd/idx_<N>M.ivecs). --synthetic generates
// SIFT-like clustered data and computes the exact neighbours with hnswlib::BruteForce. A
// result counts as a hit when it is the true nearest neighbour or exactly as close.
// With --min-recall R the exit status is 1 when the best recall@1 is below R.
#include <hnswlib/hnswlib.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "parallel_for.h"

namespace {

const size_t kDim = 128;

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

[[noreturn]] void fail(const std::string& message) {
    std::fprintf(stderr, "sift: %s\n", message.c_str());
    std::exit(2);
}

/// The first `limit` vectors of a .bvecs file (all when limit is 0).
std::vector<unsigned char> read_bvecs(const std::string& path, size_t limit) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail("cannot open " + path);
    std::vector<unsigned char> out;
    std::vector<unsigned char> row(kDim);
    for (size_t n = 0; limit == 0 || n < limit; ++n) {
        int32_t d = 0;
        if (!in.read(reinterpret_cast<char*>(&d), 4)) break;
        if (d != static_cast<int32_t>(kDim)) fail(path + ": vector of dimension " + std::to_string(d) + ", expected 128");
        if (!in.read(reinterpret_cast<char*>(row.data()), kDim)) fail(path + ": truncated");
        out.insert(out.end(), row.begin(), row.end());
    }
    return out;
}

/// The first id of each row of an .ivecs file.
std::vector<hnswlib::labeltype> read_ivecs_first(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail("cannot open " + path);
    std::vector<hnswlib::labeltype> out;
    int32_t count = 0;
    while (in.read(reinterpret_cast<char*>(&count), 4)) {
        if (count <= 0) fail(path + ": empty row");
        std::vector<int32_t> ids(static_cast<size_t>(count));
        if (!in.read(reinterpret_cast<char*>(ids.data()), 4 * ids.size())) fail(path + ": truncated");
        out.push_back(static_cast<hnswlib::labeltype>(ids[0]));
    }
    return out;
}

/// SIFT-like points: each is a cluster centre plus a point of the cluster's random
/// 12-dimensional patch plus noise, rounded into 0..255, so the data has a low intrinsic
/// dimension as real descriptors do.
class Synthetic {
 public:
    Synthetic(size_t clusters, std::mt19937_64& rng) : centres_(clusters * kDim), bases_(clusters * kLatent * kDim) {
        std::uniform_real_distribution<float> sym(-1.0f, 1.0f);
        for (float& c : centres_) c = 70.0f + 30.0f * sym(rng);
        for (float& b : bases_) b = sym(rng);
    }
    std::vector<unsigned char> points(size_t n, std::mt19937_64& rng) const {
        std::uniform_real_distribution<float> sym(-1.0f, 1.0f);
        std::uniform_int_distribution<size_t> pick(0, centres_.size() / kDim - 1);
        std::vector<unsigned char> out(n * kDim);
        std::vector<float> v(kDim);
        for (size_t i = 0; i < n; ++i) {
            size_t c = pick(rng);
            std::copy(centres_.begin() + c * kDim, centres_.begin() + (c + 1) * kDim, v.begin());
            for (size_t l = 0; l < kLatent; ++l) {
                float z = 12.0f * sym(rng);
                const float* basis = &bases_[(c * kLatent + l) * kDim];
                for (size_t j = 0; j < kDim; ++j) v[j] += z * basis[j];
            }
            for (size_t j = 0; j < kDim; ++j) {
                float x = std::round(v[j] + 2.0f * sym(rng));
                out[i * kDim + j] = static_cast<unsigned char>(std::min(255.0f, std::max(0.0f, x)));
            }
        }
        return out;
    }

 private:
    static const size_t kLatent = 12;
    std::vector<float> centres_, bases_;
};

struct Args {
    std::string base, queries, gt;
    double subset_millions = 0;
    size_t synthetic = 0, nq = 1000, threads = 0;
    double min_recall = -1;
    unsigned seed = 1;
};

Args parse(int argc, char** argv) {
    Args a;
    auto value = [&](int& i) -> std::string {
        if (i + 1 >= argc) fail(std::string(argv[i]) + " needs a value");
        return argv[++i];
    };
    for (int i = 1; i < argc; ++i) {
        std::string o = argv[i];
        if (o == "--base") a.base = value(i);
        else if (o == "--queries") a.queries = value(i);
        else if (o == "--gt") a.gt = value(i);
        else if (o == "--subset-millions") a.subset_millions = std::stod(value(i));
        else if (o == "--synthetic") a.synthetic = std::stoul(value(i));
        else if (o == "--nq") a.nq = std::stoul(value(i));
        else if (o == "--threads") a.threads = std::stoul(value(i));
        else if (o == "--min-recall") a.min_recall = std::stod(value(i));
        else if (o == "--seed") a.seed = static_cast<unsigned>(std::stoul(value(i)));
        else
            fail("unknown option " + o +
                 "\nusage: sift --base B.bvecs --queries Q.bvecs --gt GT.ivecs --subset-millions F\n"
                 "       sift --synthetic N [--nq N] [--min-recall R] [--threads T] [--seed S]");
    }
    bool files = !a.base.empty() && !a.queries.empty() && !a.gt.empty() && a.subset_millions > 0;
    if (a.synthetic == 0 && !files) fail("give --synthetic N, or --base, --queries, --gt and --subset-millions");
    if (a.threads == 0) a.threads = std::max(1u, std::thread::hardware_concurrency());
    return a;
}

}  // namespace

int main(int argc, char** argv) {
    Args a = parse(argc, argv);
    std::vector<unsigned char> base, queries;
    std::vector<hnswlib::labeltype> truth;
    hnswlib::L2SpaceI space(kDim);
    auto t0 = Clock::now();
    if (a.synthetic > 0) {
        std::mt19937_64 rng(a.seed);
        Synthetic gen(std::min<size_t>(a.synthetic, 1000), rng);
        base = gen.points(a.synthetic, rng);
        queries = gen.points(a.nq, rng);
        // Exact neighbours with the brute-force index, on all threads.
        hnswlib::BruteForce exact(hnswlib::Space::l2_u8(kDim), a.synthetic);
        std::vector<uint64_t> labels(a.synthetic);
        for (size_t i = 0; i < labels.size(); ++i) labels[i] = i;
        exact.add_batch(base, labels);
        for (const auto& row : exact.search_batch(queries, 1)) truth.push_back(row.at(0).label);
        std::printf("synthetic SIFT-like data: %zu base, %zu queries, exact neighbours in %.1f s\n", a.synthetic,
                    a.nq, seconds_since(t0));
    } else {
        size_t n = static_cast<size_t>(a.subset_millions * 1000000);
        base = read_bvecs(a.base, n);
        queries = read_bvecs(a.queries, a.nq);
        truth = read_ivecs_first(a.gt);
        if (truth.size() < queries.size() / kDim) fail("fewer ground-truth rows than queries");
        truth.resize(queries.size() / kDim);
        std::printf("BigANN subset: %zu base, %zu queries, read in %.1f s\n", base.size() / kDim,
                    queries.size() / kDim, seconds_since(t0));
    }
    size_t n = base.size() / kDim, nq = queries.size() / kDim;

    hnswlib::HierarchicalNSW<int> index(&space, n, 16, 40);
    t0 = Clock::now();
    index.addPoint(base.data(), 0);  // the first element alone, as sift_1b does
    std::atomic<size_t> done{1};
    parallel_for(1, n, a.threads, [&](size_t i) {
        index.addPoint(base.data() + i * kDim, i);
        size_t d = ++done;
        if (d % 100000 == 0) std::printf("  %zu / %zu added\n", d, n);
    });
    std::printf("built M=16 ef_construction=40 on %zu threads in %.1f s\n", a.threads, seconds_since(t0));

    // The distance of each query's true neighbour, to count ties as hits.
    auto dist = space.get_dist_func();
    std::vector<int> truth_dist(nq);
    for (size_t q = 0; q < nq; ++q) {
        truth_dist[q] = dist(queries.data() + q * kDim, base.data() + truth[q] * kDim, space.get_dist_func_param());
    }

    double best = 0;
    std::printf("%6s %10s %12s\n", "ef", "recall@1", "QPS");
    for (size_t ef : {1, 2, 5, 10, 20, 40, 80, 160, 320}) {
        index.setEf(ef);
        size_t hits = 0;
        t0 = Clock::now();
        for (size_t q = 0; q < nq; ++q) {
            auto result = index.searchKnn(queries.data() + q * kDim, 1);
            const auto& top = result.top();
            hits += top.second == truth[q] || top.first == truth_dist[q];
        }
        double secs = seconds_since(t0);
        double recall = static_cast<double>(hits) / nq;
        best = std::max(best, recall);
        std::printf("%6zu %10.4f %12.0f\n", ef, recall, nq / secs);
    }
    if (a.min_recall >= 0 && best < a.min_recall) {
        std::fprintf(stderr, "FAILED: best recall@1 %.4f is below %.4f\n", best, a.min_recall);
        return 1;
    }
    std::printf("best recall@1 %.4f\n", best);
    return 0;
}
