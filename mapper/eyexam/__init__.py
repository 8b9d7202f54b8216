"""Eyexam (Sze et al., Table II, Fig. 6): the seven performance bounds of a layer on an
architecture, each an optimum under one more constraint than the last; for one layer
(:func:`~mapper.eyexam.steps.eyexam`) or every distinct layer of a network
(:func:`~mapper.eyexam.network.eyexam_network`); as text, JSON and a roofline figure."""
from ..model.ramp import LevelRamp
from .steps import STEPS, EyexamResult, Step, eyexam

__all__ = ["STEPS", "EyexamResult", "LevelRamp", "Step", "eyexam"]
