"""grayrelease: a progressive-delivery operator for Kubernetes.

The package is layered: ``controller`` (kopf handlers, the only place that talks to the API)
uses ``workloads``, ``traffic``, ``analysis`` and ``inspect``; they use ``engine`` (pure step
rules); everything uses ``api`` (pydantic models of the resources).
"""

__version__ = "0.1.0"
