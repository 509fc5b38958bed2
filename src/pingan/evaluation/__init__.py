"""Community-officer evaluation (社区警务评价): configurable scorecards over work records."""
