"""The ending both generated export scripts share (jobs/script.py for PyTorch, jobs/tf_script.py
for TensorFlow): compare the LiteRT outputs with the framework's, then write the .tflite
atomically. Framework-free: text only."""

from __future__ import annotations

# Doubled braces are the generated script's own f-string fields; `{framework}` is filled here.
_COMPARE_AND_WRITE = '''\
    scale = max(float(np.abs(e).max()) for e in expected)
    atol = ATOL if QUANTIZE is None else max(ATOL, (0.05 if QUANTIZE == "int8" else 0.01) * scale)
    for a, e in zip(actual, expected):
        error = float(np.abs(a - e).max())
        if not np.allclose(a, e, atol=atol, rtol=RTOL):
            raise SystemExit(f"the .tflite disagrees with {framework} (max abs error {{error:.3g}}); not written")
        print(f"max abs error {{error:.3g}}")

    temporary = OUTPUT.with_suffix(".tflite.partial")
    temporary.write_bytes(content)
    temporary.replace(OUTPUT)  # atomic: never a half-written .tflite
    print(f"wrote {{OUTPUT}} ({{len(content)}} bytes)")


if __name__ == "__main__":
    main()
'''


def compare_and_write(framework: str) -> str:
    """The script's last lines: `expected`, `actual` and `content` are set by then."""
    return _COMPARE_AND_WRITE.format(framework=framework)
