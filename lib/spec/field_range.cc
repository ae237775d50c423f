#include "lib/spec/field_range.h"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "proto/range.pb.h"

namespace warmup {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

absl::StatusOr<double> ParseBound(absl::string_view text, const std::string& whole) {
  double v = 0;
  if (!absl::SimpleAtod(absl::StripAsciiWhitespace(text), &v) || !std::isfinite(v)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("range \"%s\": '%s' is not a finite number", whole, text));
  }
  return v;
}

template <typename T>
T Saturate(double v) {
  if (std::isnan(v)) return 0;
  if (v >= static_cast<double>(std::numeric_limits<T>::max())) {
    return std::numeric_limits<T>::max();
  }
  if (v <= static_cast<double>(std::numeric_limits<T>::lowest())) {
    return std::numeric_limits<T>::lowest();
  }
  return static_cast<T>(v);
}

std::string Show(const NumericSlot& s) {
  const double v = s.Get();
  if (s.field->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE ||
      s.field->cpp_type() == FieldDescriptor::CPPTYPE_FLOAT) {
    return absl::StrCat(v);  // nan, inf, -inf print as such
  }
  return absl::StrFormat("%.0f", v);
}

void Visit(Message* m, bool set_only, const std::string& prefix,
           const std::function<void(const NumericSlot&)>& visit) {
  const Reflection* r = m->GetReflection();
  std::vector<const FieldDescriptor*> fields;
  if (set_only) {
    r->ListFields(*m, &fields);
  } else {
    const auto* d = m->GetDescriptor();
    for (int i = 0; i < d->field_count(); ++i) fields.push_back(d->field(i));
  }
  for (const FieldDescriptor* f : fields) {
    const std::string name = prefix + f->name();
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int i = 0; i < r->FieldSize(*m, f); ++i) {
          Visit(r->MutableRepeatedMessage(m, f, i), set_only,
                absl::StrCat(name, "[", i, "]."), visit);
        }
      } else if (r->HasField(*m, f)) {
        Visit(r->MutableMessage(m, f), set_only, name + ".", visit);
      }
      continue;
    }
    if (!IsNumericField(f) && f->cpp_type() != FieldDescriptor::CPPTYPE_ENUM) continue;
    if (f->is_repeated()) {
      for (int i = 0; i < r->FieldSize(*m, f); ++i) {
        visit({absl::StrCat(name, "[", i, "]"), m, f, i});
      }
    } else {
      visit({name, m, f, -1});
    }
  }
}

}  // namespace

bool FieldRange::Contains(double v) const {
  if (!std::isfinite(v)) return false;
  if (has_lo && (lo_open ? !(v > lo) : !(v >= lo))) return false;
  if (has_hi && (hi_open ? !(v < hi) : !(v <= hi))) return false;
  return true;
}

absl::StatusOr<FieldRange> ParseFieldRange(const std::string& text) {
  FieldRange range;
  range.text = text;
  absl::string_view t = absl::StripAsciiWhitespace(text);
  if (t == "any") return range;
  for (const char* op : {">=", "<=", ">", "<"}) {
    if (!absl::ConsumePrefix(&t, op)) continue;
    absl::StatusOr<double> v = ParseBound(t, text);
    if (!v.ok()) return v.status();
    const bool open = op[1] == '\0';
    if (op[0] == '>') {
      range.has_lo = true, range.lo = *v, range.lo_open = open;
    } else {
      range.has_hi = true, range.hi = *v, range.hi_open = open;
    }
    return range;
  }
  if (t.size() >= 2 && (t.front() == '[' || t.front() == '(') &&
      (t.back() == ']' || t.back() == ')')) {
    const std::vector<absl::string_view> ends =
        absl::StrSplit(t.substr(1, t.size() - 2), ',');
    if (ends.size() == 2) {
      absl::StatusOr<double> lo = ParseBound(ends[0], text);
      absl::StatusOr<double> hi = ParseBound(ends[1], text);
      if (lo.ok() && hi.ok() && *lo <= *hi) {
        range.has_lo = range.has_hi = true;
        range.lo = *lo, range.hi = *hi;
        range.lo_open = t.front() == '(';
        range.hi_open = t.back() == ')';
        return range;
      }
    }
  }
  return absl::InvalidArgumentError(absl::StrFormat(
      "range \"%s\": expected \"> a\", \">= a\", \"< a\", \"<= a\", \"[a, b]\", "
      "\"(a, b]\", \"[a, b)\", \"(a, b)\" or \"any\"",
      text));
}

bool IsNumericField(const FieldDescriptor* f) {
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64:
    case FieldDescriptor::CPPTYPE_FLOAT:
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return true;
    default:
      return false;
  }
}

absl::StatusOr<FieldRange> RangeOf(const FieldDescriptor* f) {
  const std::string& text = f->options().GetExtension(spec::range);
  if (text.empty()) {
    return absl::NotFoundError(
        absl::StrFormat("%s has no (range) option", f->full_name()));
  }
  return ParseFieldRange(text);
}

double NumericSlot::Get() const {
  const Reflection* r = message->GetReflection();
  const bool rep = index >= 0;
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return rep ? r->GetRepeatedInt32(*message, field, index) : r->GetInt32(*message, field);
    case FieldDescriptor::CPPTYPE_INT64:
      return static_cast<double>(rep ? r->GetRepeatedInt64(*message, field, index)
                                     : r->GetInt64(*message, field));
    case FieldDescriptor::CPPTYPE_UINT32:
      return rep ? r->GetRepeatedUInt32(*message, field, index) : r->GetUInt32(*message, field);
    case FieldDescriptor::CPPTYPE_UINT64:
      return static_cast<double>(rep ? r->GetRepeatedUInt64(*message, field, index)
                                     : r->GetUInt64(*message, field));
    case FieldDescriptor::CPPTYPE_FLOAT:
      return rep ? r->GetRepeatedFloat(*message, field, index) : r->GetFloat(*message, field);
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return rep ? r->GetRepeatedDouble(*message, field, index) : r->GetDouble(*message, field);
    case FieldDescriptor::CPPTYPE_ENUM:
      return rep ? r->GetRepeatedEnumValue(*message, field, index)
                 : r->GetEnumValue(*message, field);
    default:
      return 0;
  }
}

void NumericSlot::Set(double v) const {
  const Reflection* r = message->GetReflection();
  const bool rep = index >= 0;
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      rep ? r->SetRepeatedInt32(message, field, index, Saturate<int32_t>(v))
          : r->SetInt32(message, field, Saturate<int32_t>(v));
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      rep ? r->SetRepeatedInt64(message, field, index, Saturate<int64_t>(v))
          : r->SetInt64(message, field, Saturate<int64_t>(v));
      break;
    case FieldDescriptor::CPPTYPE_UINT32:
      rep ? r->SetRepeatedUInt32(message, field, index, Saturate<uint32_t>(v))
          : r->SetUInt32(message, field, Saturate<uint32_t>(v));
      break;
    case FieldDescriptor::CPPTYPE_UINT64:
      rep ? r->SetRepeatedUInt64(message, field, index, Saturate<uint64_t>(v))
          : r->SetUInt64(message, field, Saturate<uint64_t>(v));
      break;
    case FieldDescriptor::CPPTYPE_FLOAT:
      rep ? r->SetRepeatedFloat(message, field, index, static_cast<float>(v))
          : r->SetFloat(message, field, static_cast<float>(v));
      break;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      rep ? r->SetRepeatedDouble(message, field, index, v) : r->SetDouble(message, field, v);
      break;
    case FieldDescriptor::CPPTYPE_ENUM:
      rep ? r->SetRepeatedEnumValue(message, field, index, Saturate<int32_t>(v))
          : r->SetEnumValue(message, field, Saturate<int32_t>(v));
      break;
    default:
      break;
  }
}

void VisitNumericFields(Message* message, bool set_only,
                        const std::function<void(const NumericSlot&)>& visit) {
  Visit(message, set_only, "", visit);
}

absl::Status CheckFieldRanges(const Message& message, bool set_only) {
  // The walk needs mutable access only for the slots' setters; check a copy.
  std::unique_ptr<Message> copy(message.New());
  copy->CopyFrom(message);
  absl::Status status;
  VisitNumericFields(copy.get(), set_only, [&](const NumericSlot& slot) {
    if (!status.ok()) return;
    if (slot.field->cpp_type() == FieldDescriptor::CPPTYPE_ENUM) {
      const int number = static_cast<int>(slot.Get());
      if (slot.field->enum_type()->FindValueByNumber(number) == nullptr) {
        status = absl::InvalidArgumentError(absl::StrFormat(
            "%s: %d is not a value of %s", slot.path, number,
            slot.field->enum_type()->name()));
      }
      return;
    }
    absl::StatusOr<FieldRange> range = RangeOf(slot.field);
    if (!range.ok()) {
      status = absl::InternalError(std::string(range.status().message()));
      return;
    }
    if (!range->Contains(slot.Get())) {
      const char first = range->text.empty() ? ' ' : range->text[0];
      const std::string expected =
          range->text == "any" ? "a finite number"
          : (first == '[' || first == '(') ? "a finite number in " + range->text
                                           : "a finite number " + range->text;
      status = absl::InvalidArgumentError(
          absl::StrFormat("%s: expected %s, got %s", slot.path, expected, Show(slot)));
    }
  });
  return status;
}

}  // namespace warmup
