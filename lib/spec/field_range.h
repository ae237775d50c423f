#ifndef WARMUP_LIB_SPEC_FIELD_RANGE_H_
#define WARMUP_LIB_SPEC_FIELD_RANGE_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace warmup {

// The accepted range of a numeric spec field, parsed from the field's
// (warmup.spec.range) option (proto/range.proto). Always finite values only.
struct FieldRange {
  double lo = 0, hi = 0;
  bool has_lo = false, has_hi = false;
  bool lo_open = false, hi_open = false;
  std::string text;  // as written in the proto
  bool Contains(double value) const;
};

// Parses "> a", ">= a", "< a", "<= a", "[a, b]", "(a, b]", "[a, b)",
// "(a, b)" or "any"; InvalidArgument for anything else.
absl::StatusOr<FieldRange> ParseFieldRange(const std::string& text);

// True for int32/int64/uint32/uint64/float/double fields.
bool IsNumericField(const google::protobuf::FieldDescriptor* field);

// The field's parsed range; NotFound when the field carries no option.
absl::StatusOr<FieldRange> RangeOf(const google::protobuf::FieldDescriptor* field);

// One numeric value inside a message: where it is and how to read or set it.
struct NumericSlot {
  std::string path;  // e.g. "schedules[1].constant.lr"
  google::protobuf::Message* message;
  const google::protobuf::FieldDescriptor* field;
  int index;  // element of a repeated field, or -1
  double Get() const;
  // Sets the value, converted to the field's type (integers saturate).
  void Set(double value) const;
};

// Calls `visit` for every numeric value of `message` and of the messages
// inside it (singular messages when present, every element of repeated
// ones). `set_only`: only fields a text proto set (nonzero scalars), as for
// tier overrides, where an absent field means "keep the base's value".
// Enum fields are visited too (`field->enum_type()` set) so that unknown
// enum numbers are caught.
void VisitNumericFields(google::protobuf::Message* message, bool set_only,
                        const std::function<void(const NumericSlot&)>& visit);

// Rejects NaN and +-inf in every numeric field, any value outside the
// field's documented range, and enum numbers with no name. The error names
// the field's path: "schedules[1].constant.lr: expected >= 0, got nan".
absl::Status CheckFieldRanges(const google::protobuf::Message& message, bool set_only);

}  // namespace warmup

#endif  // WARMUP_LIB_SPEC_FIELD_RANGE_H_
