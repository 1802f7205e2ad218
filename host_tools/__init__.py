"""steadydose host tools: the `steadydose` command (plans, signing, FHIR, USB link, deploy, reports).

They run on the caregiver's or developer's computer (CPython) and share the device's own core modules
(`steadydose.plan`, ...) so a plan is judged by exactly the code the device runs.
"""
