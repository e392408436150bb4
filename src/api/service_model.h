// ServiceModel: the machine-readable part of an AWS service model (botocore's
// service-2.json, kept in src/api/models). It drives request validation and the Query
// protocol's decoding and XML encoding, so every operation speaks exactly the shapes the
// real clients expect.
//
// The models are compiled at build time (tools/model_compiler.cc) into constant tables in
// the binary's read-only data: nothing is parsed or allocated at start, and a model's pages
// become resident only when a request reads them. The tables hold no pointers (names are
// offsets into one text pool, shapes are indexes), so the loader relocates none of them and
// they stay clean, shared, file-backed pages. docs/ARCHITECTURE.md ("Memory") has the
// figures that made them so.
//
// Everything here is immutable and may be read from any thread.
#pragma once

#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "base/status.h"

namespace wharf::api {

namespace model_data {
// A run of characters in the text pool.
struct Text {
  uint32_t offset = 0, size = 0;
};
// A run of entries in one of the tables.
struct Range {
  uint32_t first = 0, count = 0;
};
inline constexpr uint32_t kNoShape = UINT32_MAX;

// Names in the text pool (a structure's required members, a string's enum values),
// iterated as string_views.
class TextList {
 public:
  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = std::string_view;
    iterator() = default;
    explicit iterator(const Text* p) : p_(p) {}
    std::string_view operator*() const;
    iterator& operator++() {
      ++p_;
      return *this;
    }
    iterator operator++(int) { return iterator(p_++); }
    bool operator==(const iterator&) const = default;

   private:
    const Text* p_ = nullptr;
  };
  explicit TextList(std::span<const Text> texts) : texts_(texts) {}
  iterator begin() const { return iterator(texts_.data()); }
  iterator end() const { return iterator(texts_.data() + texts_.size()); }
  size_t size() const { return texts_.size(); }
  bool empty() const { return texts_.empty(); }

 private:
  std::span<const Text> texts_;
};
}  // namespace model_data

// Plain values are read as fields; names and references through the accessors. The
// fields ending in '_' are the compiled encoding, written only by the generated tables.
struct Shape {
  enum class Type : uint8_t { kStructure, kList, kMap, kString, kInteger, kLong, kBoolean, kDouble,
                              kFloat, kTimestamp, kBlob };
  struct Member {
    std::string_view name() const;
    const Shape* shape() const;               // null when the model names no such shape
    std::string_view location_name() const;  // the XML element name, when it differs from name()
    bool flattened = false;

    model_data::Text name_{}, location_name_{};
    uint32_t shape_ = model_data::kNoShape;
  };

  std::string_view name() const;
  std::span<const Member> members() const;  // structure
  model_data::TextList required() const;     // structure
  const Shape* member() const;                // list
  std::string_view member_location_name() const;  // list: element name ("member" by default)
  const Shape* key() const;                   // map
  const Shape* value() const;                 // map
  model_data::TextList enum_values() const;
  std::string_view error_code() const;  // the Query protocol's code, when it differs from the name

  const Member* FindMember(std::string_view name) const;

  Type type = Type::kString;
  bool flattened = false;
  // Errors.
  bool exception = false;
  bool fault = false;  // a server-side error (5xx)
  int http_status = 0;
  std::optional<double> min{}, max{};

  model_data::Text name_{};
  model_data::Range members_{}, required_{};
  uint32_t member_ = model_data::kNoShape;
  model_data::Text member_location_name_{};
  uint32_t key_ = model_data::kNoShape, value_ = model_data::kNoShape;
  model_data::Range enum_values_{};
  model_data::Text error_code_{};
};

struct Operation {
  std::string_view name() const;
  const Shape* input() const;
  const Shape* output() const;
  std::string_view result_wrapper() const;  // Query protocol: "<Name>Result"

  model_data::Text name_{};
  uint32_t input_ = model_data::kNoShape, output_ = model_data::kNoShape;
  model_data::Text result_wrapper_{};
};

namespace model_data {
// One service: its metadata, and its shapes and operations, each run sorted by name.
struct Model {
  Text name, protocol, target_prefix, signing_name, xml_namespace, api_version;
  Range shapes, operations;
};

// The tables, generated at build time into service_models.cc.
extern const char kText[];
extern const Text kTextLists[];
extern const Shape kShapes[];
extern const Shape::Member kMembers[];
extern const Operation kOperations[];
extern const Model kModels[];
extern const uint32_t kModelCount;

inline std::string_view Str(Text t) { return std::string_view(kText + t.offset, t.size); }
inline const Shape* ShapeAt(uint32_t i) { return i == kNoShape ? nullptr : &kShapes[i]; }
inline TextList List(Range r) { return TextList(std::span<const Text>(kTextLists + r.first, r.count)); }
inline std::string_view TextList::iterator::operator*() const { return Str(*p_); }
}  // namespace model_data

class ServiceModel {
 public:
  // One of the embedded models: "ecs", "elbv2", "ecr", "logs", "sts", "ec2".
  static Result<std::unique_ptr<ServiceModel>> LoadEmbedded(std::string_view name);

  const Operation* FindOperation(std::string_view name) const;
  const Shape* FindShape(std::string_view name) const;

  std::string_view protocol() const { return model_data::Str(data_.protocol); }  // "json", "query", "ec2"
  std::string_view target_prefix() const { return model_data::Str(data_.target_prefix); }
  std::string_view signing_name() const { return model_data::Str(data_.signing_name); }
  std::string_view xml_namespace() const { return model_data::Str(data_.xml_namespace); }
  std::string_view api_version() const { return model_data::Str(data_.api_version); }

  explicit ServiceModel(const model_data::Model& data) : data_(data) {}

 private:
  const model_data::Model& data_;
};

inline std::string_view Shape::Member::name() const { return model_data::Str(name_); }
inline const Shape* Shape::Member::shape() const { return model_data::ShapeAt(shape_); }
inline std::string_view Shape::Member::location_name() const { return model_data::Str(location_name_); }
inline std::string_view Shape::name() const { return model_data::Str(name_); }
inline std::span<const Shape::Member> Shape::members() const {
  return std::span<const Member>(model_data::kMembers + members_.first, members_.count);
}
inline model_data::TextList Shape::required() const { return model_data::List(required_); }
inline const Shape* Shape::member() const { return model_data::ShapeAt(member_); }
inline std::string_view Shape::member_location_name() const { return model_data::Str(member_location_name_); }
inline const Shape* Shape::key() const { return model_data::ShapeAt(key_); }
inline const Shape* Shape::value() const { return model_data::ShapeAt(value_); }
inline model_data::TextList Shape::enum_values() const { return model_data::List(enum_values_); }
inline std::string_view Shape::error_code() const { return model_data::Str(error_code_); }
inline std::string_view Operation::name() const { return model_data::Str(name_); }
inline const Shape* Operation::input() const { return model_data::ShapeAt(input_); }
inline const Shape* Operation::output() const { return model_data::ShapeAt(output_); }
inline std::string_view Operation::result_wrapper() const { return model_data::Str(result_wrapper_); }

}  // namespace wharf::api
