// hnswlib 0.6.2 (Debian's libhnswlib-dev) as a command-line tool for the
// interoperability tests. Built with only the system include path, so this is hnswlib's
// own code, not hnswlib-rs.
//
//   hnswlib062_tool build  DATA N DIM SPACE M EFC OUT     build single-threaded, saveIndex
//   hnswlib062_tool search INDEX QUERIES NQ DIM SPACE K EF OUT
//                                                         loadIndex, searchKnn, write results
// DATA and QUERIES are raw float32 rows; SPACE is l2 or ip; OUT of search gets one line per
// query: "label distance" pairs, closest first.
#include <hnswlib/hnswlib.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

static std::vector<float> read_floats(const std::string& path, size_t n) {
    std::vector<float> v(n);
    std::ifstream in(path, std::ios::binary);
    in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(n * sizeof(float)));
    if (!in) throw std::runtime_error("cannot read " + path);
    return v;
}

static std::unique_ptr<hnswlib::SpaceInterface<float>> make_space(const std::string& name, size_t dim) {
    if (name == "l2") return std::unique_ptr<hnswlib::SpaceInterface<float>>(new hnswlib::L2Space(dim));
    if (name == "ip") return std::unique_ptr<hnswlib::SpaceInterface<float>>(new hnswlib::InnerProductSpace(dim));
    throw std::runtime_error("unknown space " + name);
}

int main(int argc, char** argv) {
    try {
        std::vector<std::string> a(argv, argv + argc);
        if (argc == 9 && a[1] == "build") {
            size_t n = std::stoul(a[3]), dim = std::stoul(a[4]);
            auto space = make_space(a[5], dim);
            std::vector<float> data = read_floats(a[2], n * dim);
            hnswlib::HierarchicalNSW<float> index(space.get(), n, std::stoul(a[6]), std::stoul(a[7]));
            for (size_t i = 0; i < n; ++i) index.addPoint(data.data() + i * dim, i);
            index.saveIndex(a[8]);
            return 0;
        }
        if (argc == 10 && a[1] == "search") {
            size_t nq = std::stoul(a[4]), dim = std::stoul(a[5]), k = std::stoul(a[7]);
            auto space = make_space(a[6], dim);
            hnswlib::HierarchicalNSW<float> index(space.get(), a[2]);
            index.setEf(std::stoul(a[8]));
            std::vector<float> queries = read_floats(a[3], nq * dim);
            std::ofstream out(a[9]);
            for (size_t q = 0; q < nq; ++q) {
                auto result = index.searchKnn(queries.data() + q * dim, k);
                std::vector<std::pair<float, size_t>> row;
                while (!result.empty()) {
                    row.push_back(result.top());
                    result.pop();
                }
                for (size_t i = row.size(); i > 0; --i) out << row[i - 1].second << ' ' << row[i - 1].first << ' ';
                out << '\n';
            }
            return out ? 0 : 1;
        }
        std::fprintf(stderr, "usage: %s build DATA N DIM SPACE M EFC OUT | search INDEX QUERIES NQ DIM SPACE K EF OUT\n",
                     argv[0]);
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "hnswlib062_tool: %s\n", e.what());
        return 1;
    }
}
