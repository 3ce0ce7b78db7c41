"""The export worker process: the only place that imports torch, TensorFlow, litert-torch or
ai-edge-litert. Started as `python -m litert_lsp.worker` with the project's interpreter;
it speaks the line-delimited JSON protocol of `litert_lsp.jobs`.

    main        the loop: read a job, run it, send progress and the result
    torch/      restore PyTorch weights, export with litert-torch
    tensorflow/ SavedModels, Keras files, TF1/TF2 checkpoints, TFLiteConverter
    verify      run the .tflite in LiteRT against the framework (one `tolerances()`)
    runtime     the LiteRT interpreter: feeding, profiling, atomic .tflite writes
    locate      map a converter's traceback to the user's source lines
"""
