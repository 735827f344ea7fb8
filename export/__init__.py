"""Build the models the generator serves: corpus, tokenizer, demo model, ONNX/TensorRT export."""
