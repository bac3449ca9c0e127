"""The node types the emulated ComfyUI has installed, as ``/object_info`` describes them.

A core subset: SD 1.5/SDXL text and image to image, LoRA, model upscaling, Wan 2.1 text to
video, video load/split/create (native nodes), plus the node types of the extensions in
extension_nodes.py when they are installed. Combo inputs list the model files the
emulated server "has"; a test can remove node types, extensions or files to see
DEPENDENCY_MISSING.
"""

from __future__ import annotations

from typing import Any

SAMPLERS = ["euler", "euler_ancestral", "heun", "dpm_2", "dpmpp_2m", "dpmpp_sde", "uni_pc", "ddim"]
SCHEDULERS = ["simple", "normal", "karras", "exponential", "sgm_uniform", "ddim_uniform", "beta"]
MAX_SEED = 0xFFFFFFFFFFFFFFFF

DEFAULT_MODELS: dict[str, list[str]] = {
    "checkpoints": ["v1-5-pruned-emaonly.safetensors", "sd_xl_base_1.0.safetensors"],
    "loras": ["add_detail.safetensors", "film_grain.safetensors"],
    "upscale_models": ["RealESRGAN_x4plus.pth"],
    "diffusion_models": ["wan2.1_t2v_1.3B_fp16.safetensors"],
    "text_encoders": ["umt5_xxl_fp8_e4m3fn_scaled.safetensors"],
    "vae": ["wan_2.1_vae.safetensors"],
    "controlnet": ["instantid/diffusion_pytorch_model.safetensors"],
    "facerestore_models": ["codeformer-v0.1.0.pth", "GFPGANv1.4.pth"],
    "instantid": ["ip-adapter.bin"],
    "insightface": ["inswapper_128.onnx"],
}
VIDEO_EXTENSIONS = (".mp4", ".webm", ".mov", ".mkv", ".gif", ".avi")
# Nodes that save or preview results (ComfyUI's OUTPUT_NODE).
SAMPLER_NODES = frozenset({"KSampler", "KSamplerAdvanced", "SamplerCustom"})


def int_input(default: int, low: int, high: int, step: int = 1) -> list[Any]:
    return ["INT", {"default": default, "min": low, "max": high, "step": step}]


def float_input(default: float, low: float, high: float, step: float = 0.01) -> list[Any]:
    return ["FLOAT", {"default": default, "min": low, "max": high, "step": step}]


def node(
    name: str,
    required: dict[str, Any],
    outputs: tuple[str, ...] = (),
    *,
    optional: dict[str, Any] | None = None,
    names: tuple[str, ...] | None = None,
    output_node: bool = False,
    category: str = "",
    display: str | None = None,
    module: str | None = None,
) -> dict[str, Any]:
    return {
        "input": {"required": required, "optional": optional or {}},
        "input_order": {"required": list(required), "optional": list(optional or {})},
        "output": list(outputs),
        "output_is_list": [False] * len(outputs),
        "output_name": list(names or outputs),
        "name": name,
        "display_name": display or name,
        "description": "",
        "python_module": module
        or (
            "comfy_extras.nodes_video"
            if "Video" in name and name != "EmptyHunyuanLatentVideo"
            else "nodes"
        ),
        "category": category,
        "output_node": output_node,
        "deprecated": False,
        "experimental": False,
    }


def object_info(
    models: dict[str, list[str]],
    input_files: list[str],
    extensions: frozenset[str] | None = None,
) -> dict[str, dict[str, Any]]:
    """Every installed node type, with combos filled from the server's files; the nodes of
    ``extensions`` (None: every pack extension_nodes knows) on top of the core ones."""
    from reelforge.emulators.comfyui.extension_nodes import extension_nodes

    videos = sorted(f for f in input_files if f.lower().endswith(VIDEO_EXTENSIONS))
    images = sorted(f for f in input_files if f not in videos)
    text = ["STRING", {"multiline": True, "dynamicPrompts": True}]
    nodes = [
        node(
            "CheckpointLoaderSimple",
            {"ckpt_name": [list(models["checkpoints"]), {"tooltip": "checkpoint"}]},
            ("MODEL", "CLIP", "VAE"),
            category="loaders",
            display="Load Checkpoint",
        ),
        node(
            "CLIPTextEncode",
            {"text": text, "clip": ["CLIP"]},
            ("CONDITIONING",),
            category="conditioning",
        ),
        node(
            "EmptyLatentImage",
            {
                "width": int_input(512, 16, 16384, 8),
                "height": int_input(512, 16, 16384, 8),
                "batch_size": int_input(1, 1, 4096),
            },
            ("LATENT",),
            category="latent",
        ),
        node(
            "KSampler",
            {
                "model": ["MODEL"],
                "seed": [
                    "INT",
                    {"default": 0, "min": 0, "max": MAX_SEED, "control_after_generate": True},
                ],
                "steps": int_input(20, 1, 10000),
                "cfg": float_input(8.0, 0.0, 100.0, 0.1),
                "sampler_name": [list(SAMPLERS), {}],
                "scheduler": [list(SCHEDULERS), {}],
                "positive": ["CONDITIONING"],
                "negative": ["CONDITIONING"],
                "latent_image": ["LATENT"],
                "denoise": float_input(1.0, 0.0, 1.0),
            },
            ("LATENT",),
            category="sampling",
        ),
        node("VAEDecode", {"samples": ["LATENT"], "vae": ["VAE"]}, ("IMAGE",), category="latent"),
        node("VAEEncode", {"pixels": ["IMAGE"], "vae": ["VAE"]}, ("LATENT",), category="latent"),
        node(
            "SaveImage",
            {"images": ["IMAGE"], "filename_prefix": ["STRING", {"default": "ComfyUI"}]},
            output_node=True,
            category="image",
            display="Save Image",
        ),
        node("PreviewImage", {"images": ["IMAGE"]}, output_node=True, category="image"),
        node(
            "LoadImage",
            {"image": [images, {"image_upload": True}]},
            ("IMAGE", "MASK"),
            category="image",
            display="Load Image",
        ),
        node(
            "LoraLoader",
            {
                "model": ["MODEL"],
                "clip": ["CLIP"],
                "lora_name": [list(models["loras"]), {}],
                "strength_model": float_input(1.0, -100.0, 100.0),
                "strength_clip": float_input(1.0, -100.0, 100.0),
            },
            ("MODEL", "CLIP"),
            category="loaders",
        ),
        node(
            "UpscaleModelLoader",
            {"model_name": [list(models["upscale_models"]), {}]},
            ("UPSCALE_MODEL",),
            category="loaders",
        ),
        node(
            "ImageUpscaleWithModel",
            {"upscale_model": ["UPSCALE_MODEL"], "image": ["IMAGE"]},
            ("IMAGE",),
            category="image/upscaling",
        ),
        node(
            "UNETLoader",
            {
                "unet_name": [list(models["diffusion_models"]), {}],
                "weight_dtype": [["default", "fp8_e4m3fn", "fp8_e4m3fn_fast", "fp8_e5m2"], {}],
            },
            ("MODEL",),
            category="advanced/loaders",
        ),
        node(
            "CLIPLoader",
            {
                "clip_name": [list(models["text_encoders"]), {}],
                "type": [["stable_diffusion", "stable_cascade", "sd3", "flux", "wan", "ltxv"], {}],
            },
            ("CLIP",),
            optional={"device": [["default", "cpu"], {"advanced": True}]},
            category="advanced/loaders",
        ),
        node("VAELoader", {"vae_name": [list(models["vae"]), {}]}, ("VAE",), category="loaders"),
        node(
            "ModelSamplingSD3",
            {"model": ["MODEL"], "shift": float_input(3.0, 0.0, 100.0)},
            ("MODEL",),
            category="advanced/model",
        ),
        node(
            "EmptyHunyuanLatentVideo",
            {
                "width": int_input(848, 16, 16384, 16),
                "height": int_input(480, 16, 16384, 16),
                "length": int_input(25, 1, 16384, 4),
                "batch_size": int_input(1, 1, 4096),
            },
            ("LATENT",),
            category="latent/video",
        ),
        node(
            "CreateVideo",
            {"images": ["IMAGE"], "fps": float_input(30.0, 1.0, 120.0, 1.0)},
            ("VIDEO",),
            optional={"audio": ["AUDIO"]},
            category="image/video",
        ),
        node(
            "SaveVideo",
            {
                "video": ["VIDEO"],
                "filename_prefix": ["STRING", {"default": "video/ComfyUI"}],
                "format": [["auto", "mp4"], {"default": "auto"}],
                "codec": [["auto", "h264"], {"default": "auto"}],
            },
            output_node=True,
            category="image/video",
        ),
        node(
            "LoadVideo",
            {"file": [videos, {"video_upload": True}]},
            ("VIDEO",),
            category="image/video",
            display="Load Video",
        ),
        node(
            "GetVideoComponents",
            {"video": ["VIDEO"]},
            ("IMAGE", "AUDIO", "FLOAT"),
            names=("images", "audio", "fps"),
            category="image/video",
        ),
        node(
            "ImageBatch",
            {"image1": ["IMAGE"], "image2": ["IMAGE"]},
            ("IMAGE",),
            category="image",
            display="Batch Images",
        ),
        node(
            "ControlNetLoader",
            {"control_net_name": [list(models["controlnet"]), {}]},
            ("CONTROL_NET",),
            category="loaders",
        ),
        *extension_nodes(models, extensions),
    ]
    return {n["name"]: n for n in nodes}
