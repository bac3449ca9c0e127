"""Model sources: curated and users' own downloadable model files, and their downloads."""

from reelforge.engine.sources.downloads import DownloadJob, DownloadJobs
from reelforge.engine.sources.service import SourceService, need_acknowledgment

__all__ = ["DownloadJob", "DownloadJobs", "SourceService", "need_acknowledgment"]
