"""What the editor and the CLI know about models without running anything.

    exportable.models_of(source)             which models a file exports (the one policy)
    classes.find_model_classes(source)       nn.Module subclasses, their constructors
    classes.find_keras_models(source)        keras.Model subclasses and builder functions
    classes.find_call_sites(root, name)      literal constructor calls in the workspace
    checkpoints.find_checkpoints(root, near) weight files, recognised by content

Pure Python (ast, zipfile, pickletools): no framework import, no user code executed. Imports
only `core` and `analysis`; `jobs.plan` builds export requests on top of this.
"""
