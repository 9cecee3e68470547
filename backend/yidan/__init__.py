"""Yidan (一单): one electronic waybill for a whole multimodal journey."""

__version__ = "0.1.0"
