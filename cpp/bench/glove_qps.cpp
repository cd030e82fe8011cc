// GloVe search speed through the C++ layer against the C ABI, on one index in one
// process: recall@k and single-thread queries per second for each ef, for
// hnsw_index_knn (C), Index::search_into and Index::search (C++ API) and
// HierarchicalNSW::searchKnn (hnswlib's API), the variants interleaved in blocks of 50
// queries (and checked to find the same neighbours).
//
//   glove_qps GLOVE.npy [--n N] [--nq 2000] [--seed 42] [--efs 10,20,40,80,120,200]
//             [--k 10] [--m 16] [--efc 200] [--threads 0] [--repeats 3] [--write-split DIR]
//
// The rows are shuffled (std::mt19937_64 with --seed); the first --nq are the queries and
// the next --n (default: the rest) the base, in a cosine index. --write-split DIR writes
// DIR/base.npy and DIR/queries.npy, so that the core's GloVe example can run on the same
// split: cargo run --release -p hnswlib-core --example glove -- --base DIR/base.npy
// --queries DIR/queries.npy.
#include <hnswlib/hnswlib.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <sstream>

namespace {

[[noreturn]] void fail(const std::string& message) {
    std::fprintf(stderr, "glove_qps: %s\n", message.c_str());
    std::exit(2);
}

/// A 2-D little-endian float32 .npy file, in row-major order (Fortran-order files, as the
/// GloVe package ships, are transposed on reading).
std::vector<float> read_npy(const std::string& path, size_t* rows, size_t* cols) {
    std::ifstream in(path, std::ios::binary);
    char magic[8];
    if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0) fail(path + ": not an .npy file");
    uint32_t header_len = 0;
    if (magic[6] == 1) {
        uint16_t h = 0;
        in.read(reinterpret_cast<char*>(&h), 2);
        header_len = h;
    } else {
        in.read(reinterpret_cast<char*>(&header_len), 4);
    }
    std::string header(header_len, ' ');
    in.read(&header[0], header_len);
    if (header.find("'<f4'") == std::string::npos) fail(path + ": expected float32, header " + header);
    bool fortran = header.find("'fortran_order': True") != std::string::npos;
    size_t open = header.find('(', header.find("'shape'"));
    if (std::sscanf(header.c_str() + open, "(%zu, %zu)", rows, cols) != 2) fail(path + ": not a matrix");
    std::vector<float> v(*rows * *cols);
    if (!in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(v.size() * 4))) fail(path + ": truncated");
    if (!fortran) return v;
    std::vector<float> t(v.size());
    for (size_t c = 0; c < *cols; ++c) {
        for (size_t r = 0; r < *rows; ++r) t[r * *cols + c] = v[c * *rows + r];
    }
    return t;
}

void write_npy(const std::string& path, const float* data, size_t rows, size_t cols) {
    std::ostringstream h;
    h << "{'descr': '<f4', 'fortran_order': False, 'shape': (" << rows << ", " << cols << "), }";
    std::string header = h.str();
    while ((10 + header.size() + 1) % 64 != 0) header += ' ';
    header += '\n';
    std::ofstream out(path, std::ios::binary);
    out.write("\x93NUMPY\x01\x00", 8);
    uint16_t len = static_cast<uint16_t>(header.size());
    out.write(reinterpret_cast<const char*>(&len), 2);
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(rows * cols * 4));
    if (!out) fail("cannot write " + path);
}

double now_s() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) fail("usage: glove_qps GLOVE.npy [options] (see the source's header)");
    std::string path = argv[1], split_dir;
    size_t n = 0, nq = 2000, k = 10, m = 16, efc = 200, repeats = 3;
    int threads = 0;
    unsigned long seed = 42;
    std::vector<size_t> efs = {10, 20, 40, 80, 120, 200};
    for (int i = 2; i + 1 < argc; i += 2) {
        std::string o = argv[i], v = argv[i + 1];
        if (o == "--n") n = std::stoul(v);
        else if (o == "--nq") nq = std::stoul(v);
        else if (o == "--seed") seed = std::stoul(v);
        else if (o == "--k") k = std::stoul(v);
        else if (o == "--m") m = std::stoul(v);
        else if (o == "--efc") efc = std::stoul(v);
        else if (o == "--threads") threads = std::stoi(v);
        else if (o == "--repeats") repeats = std::stoul(v);
        else if (o == "--write-split") split_dir = v;
        else if (o == "--efs") {
            efs.clear();
            std::stringstream ss(v);
            for (std::string e; std::getline(ss, e, ',');) efs.push_back(std::stoul(e));
        } else fail("unknown option " + o);
    }

    size_t rows = 0, dim = 0;
    std::vector<float> all = read_npy(path, &rows, &dim);
    if (nq >= rows) fail("--nq must be below the row count");
    if (n == 0 || n > rows - nq) n = rows - nq;
    std::vector<size_t> perm(rows);
    for (size_t i = 0; i < rows; ++i) perm[i] = i;
    std::mt19937_64 rng(seed);
    std::shuffle(perm.begin(), perm.end(), rng);
    std::vector<float> queries(nq * dim), base(n * dim);
    for (size_t i = 0; i < nq; ++i) std::copy_n(&all[perm[i] * dim], dim, &queries[i * dim]);
    for (size_t i = 0; i < n; ++i) std::copy_n(&all[perm[nq + i] * dim], dim, &base[i * dim]);
    all = std::vector<float>();
    if (!split_dir.empty()) {
        write_npy(split_dir + "/base.npy", base.data(), n, dim);
        write_npy(split_dir + "/queries.npy", queries.data(), nq, dim);
    }
    std::printf("GloVe %zu x %zu: %zu base, %zu queries, cosine, M=%zu, ef_construction=%zu, k=%zu, SIMD %s\n", rows,
                dim, n, nq, m, efc, k, hnswlib::simd_path().c_str());

    hnswlib::Space space = hnswlib::Space::cosine(dim);
    std::vector<uint64_t> ids(n);
    for (size_t i = 0; i < n; ++i) ids[i] = i;
    double t = now_s();
    std::vector<std::vector<uint64_t>> truth;
    {
        hnswlib::BruteForce exact(space, n);
        exact.add_batch(base, ids);
        hnswlib::SearchOptions o;
        o.num_threads = threads;
        for (const auto& row : exact.search_batch(queries, k, o)) {
            truth.emplace_back();
            for (const auto& nb : row) truth.back().push_back(nb.label);
        }
    }
    std::printf("exact neighbours in %.1f s\n", now_s() - t);

    t = now_s();
    hnswlib::Index built(space, hnswlib::IndexParams(n, m, efc));
    hnswlib::AddOptions add;
    add.num_threads = threads;
    built.add_batch(base, ids, add);
    std::printf("built in %.1f s\n", now_s() - t);
    hnswlib::HierarchicalNSW<float> compat(std::move(built));
    const hnswlib::Index& index = compat.index();
    const hnsw_index* raw = index.handle();

    std::vector<uint64_t> labels(k);
    std::vector<float> distances(k);
    size_t hits = 0;
    auto count_hits = [&](size_t q, const uint64_t* found, size_t nfound) {
        for (size_t i = 0; i < nfound; ++i) {
            for (uint64_t l : truth[q]) hits += found[i] == l;
        }
    };
    struct Variant {
        const char* name;
        std::function<void(size_t q, size_t ef)> run;
    };
    std::vector<Variant> variants = {
        {"C ABI hnsw_index_knn",
         [&](size_t q, size_t ef) {
             hnsw_search_options o = hnsw_search_options_default();
             o.ef = ef;
             size_t found = 0;
             if (hnsw_index_knn(raw, &queries[q * dim], k, &o, labels.data(), distances.data(), k, &found) != HNSW_OK)
                 fail(hnsw_last_error());
             count_hits(q, labels.data(), found);
         }},
        {"C++ Index::search_into",
         [&](size_t q, size_t ef) {
             size_t found =
                 index.search_into(&queries[q * dim], k, hnswlib::SearchOptions(ef), labels.data(), distances.data());
             count_hits(q, labels.data(), found);
         }},
        {"C++ Index::search",
         [&](size_t q, size_t ef) {
             auto r = index.search(&queries[q * dim], k, hnswlib::SearchOptions(ef));
             for (size_t i = 0; i < r.size(); ++i) labels[i] = r[i].label;
             count_hits(q, labels.data(), r.size());
         }},
        {"C++ HierarchicalNSW::searchKnn",
         [&](size_t q, size_t ef) {
             auto r = compat.searchKnn(&queries[q * dim], k, nullptr, ef);
             size_t found = r.size();
             for (size_t i = found; i > 0; --i, r.pop()) labels[i - 1] = r.top().second;
             count_hits(q, labels.data(), found);
         }},
    };

    std::printf("single-thread QPS, median of %zu rounds (ratio to the C ABI in brackets)\n", repeats);
    std::printf("%5s %9s", "ef", "recall");
    for (const auto& v : variants) std::printf(" %32s", v.name);
    std::printf("\n");
    for (size_t ef : efs) {
        // Blocks of queries, every variant on each block in turn (the first one changing
        // from block to block), so that the machine's load changes hit all variants alike.
        const size_t block = 50;
        std::vector<std::vector<double>> qps(variants.size());
        double recall = 0;
        for (size_t r = 0; r < repeats; ++r) {
            std::vector<double> secs(variants.size(), 0.0);
            std::vector<size_t> variant_hits(variants.size(), 0);
            for (size_t start = 0; start < nq; start += block) {
                size_t end = std::min(nq, start + block);
                // The first variant on a block meets a colder cache: rotate who goes first.
                for (size_t i = 0; i < variants.size(); ++i) {
                    size_t v = (start / block + i) % variants.size();
                    hits = 0;
                    double t0 = now_s();
                    for (size_t q = start; q < end; ++q) variants[v].run(q, ef);
                    secs[v] += now_s() - t0;
                    variant_hits[v] += hits;
                }
            }
            for (size_t v = 0; v < variants.size(); ++v) {
                qps[v].push_back(nq / secs[v]);
                if (variant_hits[v] != variant_hits[0]) fail("the variants found different neighbours");
            }
            recall = static_cast<double>(variant_hits[0]) / (nq * k);
        }
        std::printf("%5zu %9.4f", ef, recall);
        double c = 0;
        for (size_t v = 0; v < variants.size(); ++v) {
            std::sort(qps[v].begin(), qps[v].end());
            double med = qps[v][qps[v].size() / 2];
            if (v == 0) c = med;
            std::printf(" %23.0f (%6.3f)", med, med / c);
        }
        std::printf("\n");
    }
    return 0;
}
