#!/usr/bin/env bash
# Bad input to the runner: one clear error line on stderr, exit status 2, and
# nothing left in --out.
set -u
run="$1"
spec_ok="$2"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
failures=0

# expect_error NAME EXPECTED_SUBSTRING ARGS...
expect_error() {
  local name="$1" want="$2"
  shift 2
  local out="$tmp/out_$name"
  "$run" "$@" --out="$out" >"$tmp/stdout" 2>"$tmp/stderr"
  local rc=$?
  local lines
  lines=$(wc -l <"$tmp/stderr")
  if [[ $rc -ne 2 ]]; then
    echo "FAIL $name: exit status $rc, expected 2"; failures=$((failures + 1))
  elif [[ $lines -ne 1 ]]; then
    echo "FAIL $name: $lines lines on stderr, expected 1:"; cat "$tmp/stderr"; failures=$((failures + 1))
  elif ! grep -qF -- "$want" "$tmp/stderr"; then
    echo "FAIL $name: stderr lacks '$want':"; cat "$tmp/stderr"; failures=$((failures + 1))
  elif [[ -e "$out" && -n "$(ls -A "$out")" ]]; then
    echo "FAIL $name: files left in $out:"; ls -A "$out"; failures=$((failures + 1))
  else
    echo "ok   $name: $(cat "$tmp/stderr")"
  fi
}

write() { printf '%s\n' "$2" >"$tmp/$1"; }

base='name: "cli" engine { synthetic {} } problem { river_valley { mu: 1 lambda0: 1 lambda1: 1 } }'
write malformed.textproto "$base
iterations: 10
schedules { label: \"c\" constant { lr: 0.1 }"
write typo.textproto "$base
iteratons: 10"
write unknown_schedule.textproto "$base
iterations: 10
schedules { label: \"c\" step_decay { } }"
write unknown_problem.textproto 'name: "cli" engine { synthetic {} } problem { rosenbrock { } } iterations: 10'
write no_engine.textproto 'name: "cli" problem { river_valley { mu: 1 lambda0: 1 lambda1: 1 } }
iterations: 10
schedules { label: "c" constant { lr: 0.1 } }'
write zero.textproto "$base
iterations: 0
schedules { label: \"c\" constant { lr: 0.1 } }"
write negative.textproto "$base
iterations: -3
schedules { label: \"c\" constant { lr: 0.1 } }"
write no_kind.textproto "$base
iterations: 10
schedules { label: \"c\" }"
write nan_lr.textproto "$base
iterations: 10
schedules { label: \"c\" constant { lr: nan } }"
write huge_iterations.textproto "$base
iterations: 10000000000
schedules { label: \"c\" constant { lr: 0.1 } }"
write unknown_default_tier.textproto "$base
iterations: 10
schedules { label: \"c\" constant { lr: 0.1 } }
default_tier: \"huge\"
tiers { name: \"smoke\" overrides { } }"
write nan_in_other_tier.textproto "$base
iterations: 10
schedules { label: \"c\" constant { lr: 0.1 } }
tiers { name: \"smoke\" overrides { } }
tiers { name: \"paper\" overrides { stop { target_gap: -inf } } }"
write unknown_metric.textproto "$base
iterations: 10
record { gap: true lr: true }
schedules { label: \"c\" constant { lr: 0.1 } }
figure { panels { metric: \"accuracy\" } }"
write unknown_claim_run.textproto "$base
iterations: 10
schedules { label: \"c\" constant { lr: 0.1 } }
claims { id: \"x\" metric: \"nosuch.final_gap\" op: LE threshold: 1 rationale: \"r\" }"
write negative_width.textproto 'name: "cli" engine { network {} } iterations: 10
problem { network { model: "resnet18" dataset: "cifar10" width: -1 } }
schedules { label: "c" constant { lr: 0.1 } }'
touch "$tmp/a_file"

expect_error malformed "malformed.textproto:4:" --spec="$tmp/malformed.textproto"
expect_error typo "typo.textproto:2:" --spec="$tmp/typo.textproto"
expect_error typo_field "iteratons" --spec="$tmp/typo.textproto"
expect_error unknown_schedule "step_decay" --spec="$tmp/unknown_schedule.textproto"
expect_error unknown_problem "rosenbrock" --spec="$tmp/unknown_problem.textproto"
expect_error zero_iterations "iterations: must be > 0, got 0" --spec="$tmp/zero.textproto"
expect_error negative_iterations "iterations: expected a finite number in [0, 1e9], got -3" --spec="$tmp/negative.textproto"
expect_error schedule_without_kind "schedule 'c': no kind" --spec="$tmp/no_kind.textproto"
expect_error nan_lr "schedules[0].constant.lr: expected a finite number >= 0, got nan" --spec="$tmp/nan_lr.textproto"
expect_error huge_iterations "iterations: expected a finite number in [0, 1e9], got 10000000000" --spec="$tmp/huge_iterations.textproto"
expect_error unknown_default_tier "default_tier: 'huge' is not a tier of this spec" --spec="$tmp/unknown_default_tier.textproto"
expect_error nan_in_other_tier "tiers[1].overrides.stop.target_gap: expected" --spec="$tmp/nan_in_other_tier.textproto" --tier=smoke
expect_error unknown_metric "figure.panels[0].metric: 'accuracy' is not a series the panel's runs record (nearest: 'gap')" --spec="$tmp/unknown_metric.textproto"
expect_error unknown_claim_scalar "claims 'x'.metric: 'nosuch.final_gap' is not a scalar this spec records (nearest: 'c.final_gap')" --spec="$tmp/unknown_claim_run.textproto"
expect_error no_engine "engine: not set; expected one of synthetic, speedup_sweep, network or composite" --spec="$tmp/no_engine.textproto"
expect_error negative_width "problem.network.width: expected a finite number in [0, 16], got -1" --spec="$tmp/negative_width.textproto"
expect_error missing_spec "cannot read spec file" --spec="$tmp/none.textproto"
expect_error unknown_tier "unknown tier 'huge'" --spec="$spec_ok" --tier=huge
expect_error bad_threads "--threads must be >= 1" --spec="$spec_ok" --threads=0
expect_error stray_argument "unexpected argument" --spec="$spec_ok" extra

# An output folder that cannot be created (its parent is a file).
"$run" --spec="$spec_ok" --tier=smoke --out="$tmp/a_file/out" >/dev/null 2>"$tmp/stderr"
rc=$?
if [[ $rc -eq 2 ]] && grep -q "cannot be created" "$tmp/stderr"; then
  echo "ok   unwritable_out: $(cat "$tmp/stderr")"
else
  echo "FAIL unwritable_out: exit $rc"; cat "$tmp/stderr"; failures=$((failures + 1))
fi

# A folder of the user's own files is never replaced (a run replaces its
# output folder as a whole).
mkdir -p "$tmp/users_folder" && echo mine >"$tmp/users_folder/notes.txt"
"$run" --spec="$spec_ok" --tier=smoke --out="$tmp/users_folder" --plot=false >/dev/null 2>"$tmp/stderr"
rc=$?
if [[ $rc -eq 2 ]] && grep -q "is not an output of this artifact" "$tmp/stderr" &&
   [[ "$(ls -A "$tmp/users_folder")" == "notes.txt" ]]; then
  echo "ok   users_folder: $(cat "$tmp/stderr")"
else
  echo "FAIL users_folder: exit $rc"; cat "$tmp/stderr"; ls -A "$tmp/users_folder"; failures=$((failures + 1))
fi

echo "$((22 - failures)) passed, $failures failed"
exit $((failures > 0))
